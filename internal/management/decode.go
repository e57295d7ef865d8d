package management

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/portico/portico/internal/problem"
)

// decode reads one JSON object into v: unknown fields, trailing data, wrong
// types and oversize bodies are rejected with the offending pointer.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, v any) error {
	return h.decodeBody(w, r, v, false)
}

// decodeOptional is decode for an optional body: an absent or empty body
// (whatever its framing: no Content-Length, chunked) leaves v unchanged.
func (h *Handler) decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return h.decodeBody(w, r, v, true)
}

func (h *Handler) decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return problem.New(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported Media Type", "send application/json")
		}
	}
	// Read the whole body first, so any body over the limit is a 413 whatever
	// it holds (not a 400 when the excess follows a complete object), and so
	// an unknown field can be located afterwards.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return tooLarge(h.cfg.MaxBodyBytes)
	}
	if err != nil {
		return problem.BadRequest("", "the body could not be read")
	}
	if optional && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); !errors.Is(extra, io.EOF) {
			return problem.BadRequest("", "the body must hold exactly one JSON value")
		}
		return nil
	}
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.EOF):
		return problem.BadRequest("", "a JSON body is required")
	case errors.As(err, &syntaxErr):
		return problem.BadRequest("", fmt.Sprintf("malformed JSON at byte %d", syntaxErr.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return problem.BadRequest("", "malformed JSON: unexpected end of body")
	case errors.As(err, &typeErr):
		return problem.BadRequest(fieldPointer(reflect.TypeOf(v), typeErr.Field), fmt.Sprintf("must be %s, not JSON %s", jsonKind(typeErr.Type.String()), typeErr.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return problem.BadRequest(unknownFieldPointer(body, reflect.TypeOf(v), name), "unknown field")
	}
	return problem.BadRequest("", "malformed JSON body")
}

func tooLarge(limit int64) *problem.Problem {
	return problem.New(http.StatusRequestEntityTooLarge, "too-large", "Content Too Large",
		fmt.Sprintf("the body exceeds %d bytes", limit))
}

// fieldPointer turns encoding/json's dotted UnmarshalTypeError.Field into a
// JSON pointer. The dotted path names embedded structs by their Go name
// ("Meta.revision"), which are not part of the document: drop them.
func fieldPointer(t reflect.Type, field string) string {
	if field == "" {
		return ""
	}
	var ptr strings.Builder
	for seg := range strings.SplitSeq(field, ".") {
		t = deref(t)
		if t != nil && t.Kind() == reflect.Struct {
			if sf, ok := t.FieldByName(seg); ok && sf.Anonymous && jsonName(sf) == "" {
				t = sf.Type
				continue
			}
			t = jsonFields(t)[strings.ToLower(seg)]
		} else if t != nil && (t.Kind() == reflect.Map || t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			t = t.Elem()
		}
		ptr.WriteString("/" + escapePointer(seg))
	}
	return ptr.String()
}

// unknownFieldPointer finds where name occurs as a key the target type does
// not know: encoding/json reports only the key, not its path.
func unknownFieldPointer(body []byte, t reflect.Type, name string) string {
	var doc any
	if json.Unmarshal(body, &doc) == nil {
		if p, ok := findUnknown(doc, t, name, ""); ok {
			return p
		}
	}
	return "/" + escapePointer(name)
}

func findUnknown(v any, t reflect.Type, name, path string) (string, bool) {
	t = deref(t)
	if t == nil {
		return "", false
	}
	switch val := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(val))
		for k := range val {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := path + "/" + escapePointer(k)
			ft := t
			switch t.Kind() {
			case reflect.Struct:
				var known bool
				if ft, known = jsonFields(t)[strings.ToLower(k)]; !known {
					if k == name {
						return p, true
					}
					continue
				}
			case reflect.Map:
				ft = t.Elem()
			default:
				return "", false
			}
			if p, ok := findUnknown(val[k], ft, name, p); ok {
				return p, true
			}
		}
	case []any:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return "", false
		}
		for i, e := range val {
			if p, ok := findUnknown(e, t.Elem(), name, path+"/"+strconv.Itoa(i)); ok {
				return p, true
			}
		}
	}
	return "", false
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// jsonName is the name a struct field's json tag gives it ("" when none).
func jsonName(sf reflect.StructField) string {
	name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
	return name
}

// jsonFields maps the lower-cased JSON names of t's fields (embedded structs
// flattened, as encoding/json does) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		sf := t.Field(i)
		name := jsonName(sf)
		switch {
		case name == "-":
			continue
		case sf.Anonymous && name == "" && deref(sf.Type).Kind() == reflect.Struct:
			for k, ft := range jsonFields(deref(sf.Type)) {
				if _, ok := out[k]; !ok {
					out[k] = ft
				}
			}
			continue
		case !sf.IsExported():
			continue
		case name == "":
			name = sf.Name
		}
		out[strings.ToLower(name)] = sf.Type
	}
	return out
}

// escapePointer escapes one JSON pointer reference token (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func jsonKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"), strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "string" || strings.HasSuffix(goType, "Status") || strings.HasSuffix(goType, "Type"):
		return "a string"
	case goType == "bool":
		return "a boolean"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.HasPrefix(goType, "map"):
		return "an object"
	case goType == "time.Time":
		return "an RFC 3339 timestamp"
	}
	return "an object"
}

// writeJSON renders v with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}

// writeResource renders a single resource with its ETag.
func writeResource(w http.ResponseWriter, status int, revision int64, v any) error {
	w.Header().Set("ETag", etag(revision))
	return writeJSON(w, status, v)
}

func etag(rev int64) string { return `"` + strconv.FormatInt(rev, 10) + `"` }

// ifMatch returns the revision named by If-Match (0 when absent or "*").
func ifMatch(r *http.Request) (int64, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" || v == "*" {
		return 0, nil
	}
	v = strings.TrimPrefix(v, "W/")
	n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64)
	if err != nil || n <= 0 {
		return 0, problem.BadRequest("", "If-Match must be an ETag returned by this API")
	}
	return n, nil
}

// expectation combines If-Match with a revision in the body: If-Match wins
// and a mismatch is 412; a stale body revision is 409.
func expectation(r *http.Request, bodyRevision int64) (int64, bool, error) {
	im, err := ifMatch(r)
	if err != nil {
		return 0, false, err
	}
	if im > 0 {
		return im, true, nil
	}
	return bodyRevision, false, nil
}
