// Package model holds Portico's configuration domain: tenants, APIs, API
// versions, endpoints with their policies, integrations, consumers, members
// and audit entries, with the validation rules that apply when they are
// saved. Validation reports every problem at once, each addressed by a JSON
// pointer into the submitted document, so the console can show them inline.
//
// The package is pure: no storage, no HTTP. The catalog package persists
// these types; the gateway compiles them into per-tenant snapshots.
package model
