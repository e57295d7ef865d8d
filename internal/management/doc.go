// Package management is the console's REST API (/admin/v1): CRUD for
// tenants, APIs, versions, endpoints, integrations, consumers and members,
// version publishing, and the audit trail.
//
// Every route declares the least console role it needs in one table
// (routes.go); the authentication middleware verifies the bearer token, and
// the tenant always comes from the verified token, never from the URL or
// body. Errors are rendered in one place (errors.go) as problem+json.
package management
