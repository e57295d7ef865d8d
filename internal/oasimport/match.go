package oasimport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/transform"
)

// Endpoint is an endpoint to match: its id, method and path (relative to
// the API's base path, as stored).
type Endpoint struct {
	ID     string
	Method string
	Path   string
}

// Plan is what an import does, endpoint by endpoint, and what it leaves.
type Plan struct {
	OpenAPI string  `json:"openapi"`
	Matched []Match `json:"matched"`
	// Skipped are the document's operations matching no endpoint, with why.
	Skipped []Skip `json:"skipped"`
	// Unmatched are the version's endpoints no operation describes.
	Unmatched []Endpoint `json:"unmatchedEndpoints"`
}

// Match is one operation imported for one endpoint.
type Match struct {
	Endpoint    string `json:"endpoint"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	Operation   string `json:"operation"` // JSON pointer into the document
	OperationID string `json:"operationId,omitempty"`
	// Request and Response are transform documents (a validate step per
	// schema), nil when the operation has none of that side.
	Request  json.RawMessage `json:"request,omitempty"`
	Response json.RawMessage `json:"response,omitempty"`
	// Responses lists the statuses whose bodies are validated.
	Responses []string `json:"responses,omitempty"`
	// Notes say what was translated or left out.
	Notes []string `json:"notes,omitempty"`
}

// Skip is an operation not imported.
type Skip struct {
	Method  string `json:"method"`
	Path    string `json:"path"`
	Pointer string `json:"pointer"`
	Reason  string `json:"reason"`
}

// MarshalJSON writes an unmatched endpoint in the report's casing.
func (e Endpoint) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID     string `json:"endpoint"`
		Method string `json:"method"`
		Path   string `json:"path"`
	}{e.ID, e.Method, e.Path})
}

// Plan matches the document's operations to endpoints. An operation
// matches an endpoint with its method whose path template, with
// parameter names ignored, equals the operation's path either as
// basePath+path (a document describing the API), or as path alone, or as
// /{version}basePath+path (a document whose server has no base path).
func (d *Document) Plan(endpoints []Endpoint, version, basePath string) *Plan {
	p := &Plan{OpenAPI: d.Version, Matched: []Match{}, Skipped: []Skip{}, Unmatched: []Endpoint{}}
	byKey := map[string]*Endpoint{}
	for i := range endpoints {
		e := &endpoints[i]
		path := e.Path
		if path == "/" {
			path = ""
		}
		for _, cand := range []string{basePath + path, e.Path, "/" + version + basePath + path} {
			k := e.Method + " " + shape(cand)
			if _, dup := byKey[k]; !dup {
				byKey[k] = e
			}
		}
	}
	used := map[string]bool{}
	paths := d.doc.Paths.Map()
	for _, path := range sortedKeys(paths) {
		item := paths[path]
		ops := item.Operations()
		for _, method := range sortedKeys(ops) {
			op := ops[method]
			ptr := "/paths/" + Escape(path) + "/" + strings.ToLower(method)
			e := byKey[method+" "+shape(path)]
			switch {
			case e == nil:
				p.Skipped = append(p.Skipped, Skip{Method: method, Path: path, Pointer: ptr, Reason: "no endpoint of this version has this method and path"})
				continue
			case used[e.ID]:
				p.Skipped = append(p.Skipped, Skip{Method: method, Path: path, Pointer: ptr, Reason: "another operation already matched endpoint " + e.ID})
				continue
			}
			m := d.operation(op, ptr)
			used[e.ID] = true
			m.Endpoint, m.Method, m.Path = e.ID, e.Method, e.Path
			p.Matched = append(p.Matched, m)
		}
	}
	for _, e := range endpoints {
		if !used[e.ID] {
			p.Unmatched = append(p.Unmatched, e)
		}
	}
	return p
}

// shape is a path template with its parameter names blanked:
// /orders/{id} and /orders/{orderId} have the same shape.
func shape(path string) string {
	segs := strings.Split(strings.TrimSuffix(path, "/"), "/")
	for i, s := range segs {
		if len(s) >= 2 && s[0] == '{' && s[len(s)-1] == '}' {
			segs[i] = "{}"
		}
	}
	return strings.Join(segs, "/")
}

// operation builds the transform documents of one operation. One with
// neither imports nothing, and removes what an earlier import set.
func (d *Document) operation(op *openapi3.Operation, ptr string) Match {
	m := Match{Operation: ptr, OperationID: op.OperationID}
	var notes []string
	if rb := op.RequestBody; rb != nil && rb.Value != nil {
		mt, media, note := jsonMedia(rb.Value.Content)
		notes = append(notes, note...)
		if mt != nil && mt.Schema != nil {
			step := map[string]any{}
			if !rb.Value.Required {
				step["when"] = "body != null" // an optional body may be absent
			}
			doc, n, err := d.transformDoc(request, []validation{{schema: mt.Schema, step: step}})
			notes = append(notes, n...)
			if err != nil {
				notes = append(notes, fmt.Sprintf("request body (%s) not imported: %s", media, err.Error()))
			} else {
				m.Request = doc
			}
		}
	}
	if op.Responses != nil {
		rs := op.Responses.Map()
		codes := sortedKeys(rs)
		var vs []validation
		for _, code := range codes {
			r := rs[code]
			if r == nil || r.Value == nil {
				continue
			}
			mt, media, note := jsonMedia(r.Value.Content)
			for _, n := range note {
				notes = append(notes, "response "+code+": "+n)
			}
			if mt == nil || mt.Schema == nil {
				continue
			}
			when, err := statusCondition(code, codes)
			if err != nil {
				notes = append(notes, "response "+code+": "+err.Error())
				continue
			}
			vs = append(vs, validation{schema: mt.Schema, step: map[string]any{"when": when}, status: code, media: media})
		}
		if len(vs) > 0 {
			doc, n, err := d.transformDoc(response, vs)
			notes = append(notes, n...)
			if err != nil {
				notes = append(notes, "responses not imported: "+err.Error())
			} else {
				m.Response = doc
				for _, v := range vs {
					m.Responses = append(m.Responses, v.status)
				}
			}
		}
	}
	if m.Request == nil && m.Response == nil {
		notes = append(notes, "no JSON request body or response schema: nothing to validate")
	}
	m.Notes = dedupe(notes)
	return m
}

type validation struct {
	schema *openapi3.SchemaRef
	step   map[string]any // the validate step's other fields (when)
	status string
	media  string
}

// transformDoc builds one transform document validating each schema,
// compiled to check it (patterns in ECMA-262 syntax that Go's regexp
// cannot run fail here, not at save).
func (d *Document) transformDoc(dir direction, vs []validation) (json.RawMessage, []string, error) {
	steps := make([]any, 0, len(vs))
	var notes []string
	for _, v := range vs {
		c := newConverter(d.doc, dir)
		s, err := c.document(v.schema)
		if err != nil {
			return nil, nil, err
		}
		notes = append(notes, c.notesList()...)
		step := map[string]any{"schema": s}
		for k, x := range v.step {
			step[k] = x
		}
		steps = append(steps, map[string]any{"validate": step})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // conditions hold > and &&
	if err := enc.Encode(map[string]any{"steps": steps}); err != nil {
		return nil, nil, fmt.Errorf("encode: %w", err)
	}
	doc := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(doc) > transform.MaxDocumentBytes {
		return nil, nil, fmt.Errorf("the schemas take %d bytes, more than a transform's %d", len(doc), transform.MaxDocumentBytes)
	}
	parsed, err := transform.Parse(doc)
	if err == nil {
		_, err = transform.Compile(parsed)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("the converted schema does not compile: %s", detail(err))
	}
	return doc, notes, nil
}

// detail is the first field error of a compile problem, or its text.
func detail(err error) string {
	var p *problem.Problem
	if errors.As(err, &p) && len(p.Errors) > 0 {
		return clean(p.Errors[0].Pointer + ": " + p.Errors[0].Detail)
	}
	return clean(err.Error())
}

// jsonMedia picks the JSON media type of a content map: application/json
// first, else the first +json type. note says what was left out.
func jsonMedia(content openapi3.Content) (*openapi3.MediaType, string, []string) {
	if len(content) == 0 {
		return nil, "", nil
	}
	var jsonKeys, other []string
	for _, k := range sortedKeys(content) {
		mt, _, err := mime.ParseMediaType(k)
		if err != nil {
			mt = strings.ToLower(k)
		}
		if mt == "application/json" || strings.HasSuffix(mt, "+json") {
			jsonKeys = append(jsonKeys, k)
		} else {
			other = append(other, k)
		}
	}
	sort.SliceStable(jsonKeys, func(i, j int) bool {
		return strings.HasPrefix(jsonKeys[i], "application/json") && !strings.HasPrefix(jsonKeys[j], "application/json")
	})
	var notes []string
	if len(other) > 0 {
		notes = append(notes, "not validated: "+strings.Join(other, ", ")+" (only JSON bodies are)")
	}
	if len(jsonKeys) == 0 {
		return nil, "", notes
	}
	return content[jsonKeys[0]], jsonKeys[0], notes
}

// statusCondition is the JMESPath condition selecting the responses of
// code ("200", "4XX", "default") among codes, the operation's keys.
func statusCondition(code string, codes []string) (string, error) {
	one := func(c string) (string, bool) {
		switch {
		case len(c) == 3 && (c[1] == 'X' || c[1] == 'x') && (c[2] == 'X' || c[2] == 'x') && c[0] >= '1' && c[0] <= '5':
			lo := int(c[0]-'0') * 100
			return fmt.Sprintf("(status >= `%d` && status < `%d`)", lo, lo+100), true
		default:
			n, err := strconv.Atoi(c)
			if err != nil || n < 100 || n > 599 {
				return "", false
			}
			return fmt.Sprintf("status == `%d`", n), true
		}
	}
	if code != "default" {
		cond, ok := one(code)
		if !ok {
			return "", fmt.Errorf("%q is not a status code", code)
		}
		// A range yields to the exact codes listed beside it.
		if len(code) == 3 && (code[1] == 'X' || code[1] == 'x') {
			var ex []string
			for _, c := range codes {
				if c != code && c != "default" && c[0] == code[0] {
					if e, ok := one(c); ok && !strings.HasPrefix(e, "(") {
						ex = append(ex, e)
					}
				}
			}
			if len(ex) > 0 {
				cond += " && !(" + strings.Join(ex, " || ") + ")"
			}
		}
		return cond, nil
	}
	var others []string
	for _, c := range codes {
		if c == "default" {
			continue
		}
		if e, ok := one(c); ok {
			others = append(others, e)
		}
	}
	if len(others) == 0 {
		return "status == status", nil // every status
	}
	return "!(" + strings.Join(others, " || ") + ")", nil
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
