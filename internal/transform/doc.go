// Package transform is the declarative transform engine: a transform is a
// list of steps (map, filter, redact, headers, status, validate) parsed and
// compiled once per configuration version and applied to a Message (request
// or response: body, query, headers, path params, caller claims, status).
//
// Paths and conditions are JMESPath expressions (jmespath-community); JSON
// Schema 2020-12 validation uses santhosh-tekuri/jsonschema. Nothing is parsed
// on the request path: Apply only evaluates compiled steps. A failing step
// returns a *StepError naming the step and the path; its Problem method gives
// the problem+json a tenant sees. Test cases travel with the transform
// document and RunTests reports pass or fail per case. docs/transforms.md
// describes the document format and the choices behind it.
package transform
