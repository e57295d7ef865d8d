// Package gateway is Portico's data plane: it resolves the tenant from the
// host or the /t/{tenant} prefix, matches the request against the tenant's
// routed endpoints (published and deprecated versions), runs the endpoint's
// pipeline and dispatches to its integration.
//
// Configuration comes from an in-memory snapshot per tenant, compiled once
// per configuration version (route table, parsed upstream URLs and
// templates). A snapshot is revalidated at most once per RefreshInterval by
// one cheap version read, so a steady stream of requests costs no store reads.
// Unknown tenants are cached the same way (bounded); while the store is
// unreachable the last snapshot keeps serving and is retried once per
// interval.
//
// Resolving a request (tenant, snapshot, canonical path, version, route)
// does not allocate; per-request state is pooled.
package gateway
