// Package graphql is the GraphQL side of the integration engine: it finds
// the operation of a query document (query or mutation, which decides
// whether a call may be retried), builds the variables of a call from the
// incoming request (path params, query string, JSON body, addressed by
// JSON pointers), and parses upstream GraphQL responses into data and
// errors. It does no I/O and depends on nothing but the standard library;
// the gateway (internal/gateway/graphql.go) sends the calls through the
// integration engine.
package graphql
