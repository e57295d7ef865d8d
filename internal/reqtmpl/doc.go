// Package reqtmpl expands request templates: integration URL paths and
// queries, header values and endpoint target paths that take values from
// the incoming request with {path.name}, {query.name} and {header.Name}.
//
// A template is parsed once (when a configuration snapshot is compiled, and
// at save time for validation) and expanded per request without reparsing.
// Each expansion escapes the value for the component it lands in: a path
// value is one segment (its '/' is escaped, and "." or ".." is refused), a
// query value is query-escaped, a header value loses its control
// characters (CR, LF, NUL...). docs/integrations.md, "Request templates".
package reqtmpl
