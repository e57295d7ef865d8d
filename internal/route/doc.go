// Package route turns request paths into one canonical form and matches them
// against a table of path templates.
//
// The pipeline is: Canonical on r.URL.EscapedPath(), then Table.Match with the
// result. Canonical decides what a path means (dot segments, repeated slashes,
// escapes); the Table only ever sees canonical paths, so a tenant's route
// "/admin/{x}" cannot be bypassed with "/public/../admin/x" or "/%61dmin/x".
//
// Templates are parsed once with Parse, registered on a Builder (which rejects
// ambiguous routes with ErrConflict) and compiled into an immutable Table that
// is safe for concurrent use and matches without allocating.
package route
