package catalog

import "github.com/portico/portico/internal/store"

// Store returns the table the catalog writes to, for the gateway's records
// that live beside the configuration in partitions of their own
// (Idempotency-Key records, PK "IDEM#<tenant>").
func (c *Catalog) Store() store.Store { return c.st }
