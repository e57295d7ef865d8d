// Package oasimport derives request and response validation from an
// OpenAPI document: it parses an OpenAPI 3.0 or 3.1 document (JSON or
// YAML, external references refused) with getkin/kin-openapi, matches its
// operations to a version's endpoints by method and path template, and
// converts each operation's JSON request body and response schemas to
// JSON Schema draft 2020-12 transform documents (validate steps), with
// $refs kept as $defs and OpenAPI 3.0's dialect (nullable, boolean
// exclusiveMinimum/Maximum, readOnly/writeOnly in required) translated.
// docs/transforms.md describes the import and its report.
package oasimport
