// Package secrets is the port to tenants' secrets: upstream credentials,
// introspection client secrets and webhook signing secrets, which must stay
// usable (so they cannot be hashed) and must never be stored in
// configuration documents, listings or the audit trail.
//
// A secret is addressed by (tenant, name). Store is the port; adapters live
// in subpackages: sealed (AES-256-GCM in the single-table store, the local
// default) and awssm (AWS Secrets Manager). Cache is the read-through cache
// the request path uses. secretstest is the conformance suite both adapters
// pass. docs/secrets.md explains the model and its bounds.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/portico/portico/internal/model"
)

// Sentinel errors returned (wrapped) by every adapter.
var (
	// ErrNotFound means the tenant has no secret of that name.
	ErrNotFound = errors.New("secrets: not found")
	// ErrInvalid means a tenant, name or value breaks the rules of
	// CheckName and CheckValue; nothing was read or written.
	ErrInvalid = errors.New("secrets: invalid tenant, name or value")
)

// Metadata describes a stored secret; it never carries the value.
type Metadata struct {
	Name string `json:"name"`
	// Version identifies the current value; it changes on every Put. Its
	// form is the adapter's (a counter, a Secrets Manager version id).
	Version   string    `json:"version"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Store is the secrets port. Every adapter is safe for concurrent use and
// keeps tenants apart: no call for one tenant can read or change
// another's secret.
type Store interface {
	// Get returns the current value; ErrNotFound when there is none.
	Get(ctx context.Context, tenant, name string) (string, error)
	// Put creates or replaces the value and returns the new metadata.
	Put(ctx context.Context, tenant, name, value string) (Metadata, error)
	// Delete removes the secret; ErrNotFound when there is none.
	Delete(ctx context.Context, tenant, name string) error
	// List returns the metadata of every secret of the tenant, by name.
	List(ctx context.Context, tenant string) ([]Metadata, error)
}

// Limits on names and values.
const (
	MaxNameLen  = 128
	MaxValueLen = 16 << 10
)

var (
	// internalRE adds the names Portico keeps for its own uses (see
	// Internal): a leading '.', and dots inside.
	internalRE = regexp.MustCompile(`^\.?[A-Za-z0-9][A-Za-z0-9_.-]{0,126}$`)
	tenantRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
)

// ValidName reports whether tenants may use name for a secret (1-64
// letters, digits, '-' or '_', starting with a letter or digit).
func ValidName(name string) bool { return model.ValidSecretName(name) }

// Internal returns the name of a secret Portico keeps for a resource of
// its own (kind "jwt-introspection" and an issuer slug, "webhook" and a
// subscription id). Internal names start with '.', which ValidName refuses,
// so tenants can neither read, overwrite nor delete them through the
// management API.
func Internal(kind, id string) string { return "." + kind + "." + id }

// CheckName returns an ErrInvalid error unless tenant and name are
// acceptable to every adapter (a tenant id; a name ValidName accepts, or an
// Internal one).
func CheckName(tenant, name string) error {
	if !tenantRE.MatchString(tenant) {
		return fmt.Errorf("%w: tenant %q", ErrInvalid, tenant)
	}
	if !internalRE.MatchString(name) {
		return fmt.Errorf("%w: name %q", ErrInvalid, name)
	}
	return nil
}

// CheckValue returns an ErrInvalid error for an empty value, one over
// MaxValueLen bytes or one that is not UTF-8. The error never contains
// the value.
func CheckValue(value string) error {
	switch {
	case value == "":
		return fmt.Errorf("%w: empty value", ErrInvalid)
	case len(value) > MaxValueLen:
		return fmt.Errorf("%w: value of %d bytes, more than %d", ErrInvalid, len(value), MaxValueLen)
	case !utf8.ValidString(value):
		return fmt.Errorf("%w: value is not UTF-8", ErrInvalid)
	}
	return nil
}
