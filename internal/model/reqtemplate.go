package model

import (
	"slices"

	"github.com/portico/portico/internal/reqtmpl"
)

// validateIntegrationTemplates checks the request templates of an
// integration's URL and header values (docs/integrations.md, "Request
// templates"): placeholders only in the URL's path and query, and well
// formed everywhere. Path params are checked against each endpoint's route
// when the endpoint is saved (validateTargetTemplate) only for target paths:
// an integration serves many endpoints, and a missing param renders empty.
func validateIntegrationTemplates(e *Errors, in *Integration) {
	if reqtmpl.Uses(in.URL) || containsBrace(in.URL) {
		if _, err := reqtmpl.ParseURL(in.URL); err != nil {
			e.Add("/url", "%s", err.Error())
		}
	}
	for _, k := range sortedKeys(in.Headers) {
		v := in.Headers[k]
		if !containsBrace(v) {
			continue
		}
		if _, err := reqtmpl.Parse(v, reqtmpl.Header); err != nil {
			e.Add("/headers/"+escapePointer(k), "%s", err.Error())
		}
	}
}

// validateTargetTemplate checks a target path written with request
// placeholders ({path.id}, {query.q}, {header.X}); route-style "{id}"
// paths are checked by validateTarget.
func validateTargetTemplate(e *Errors, path string, params []string) {
	t, err := reqtmpl.Parse(path, reqtmpl.Path)
	if err != nil {
		e.Add("/target/path", "%s", err.Error())
		return
	}
	if path == "" || path[0] != '/' {
		e.Add("/target/path", "must start with /")
	}
	t.Refs(func(src reqtmpl.Source, name string) {
		if src == reqtmpl.FromPath && params != nil && !slices.Contains(params, name) {
			e.Add("/target/path", "uses {path.%s}, which the endpoint path does not define", name)
		}
	})
}

func containsBrace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '{' || s[i] == '}' {
			return true
		}
	}
	return false
}
