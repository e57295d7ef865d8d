package app

import (
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/gateway"
)

// secretReader is the catalog's secrets store for the gateway's inbound
// webhook checks; nil (those endpoints fail closed) without one.
func secretReader(cat *catalog.Catalog) gateway.SecretReader {
	if src := cat.SecretSource(); src != nil {
		return src
	}
	return nil
}
