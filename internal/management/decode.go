package management

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/portico/portico/internal/problem"
)

// decode reads one JSON object into v: unknown fields, trailing data, wrong
// types and oversize bodies are rejected with the offending pointer.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return problem.New(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported Media Type", "send application/json")
		}
	}
	body := http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); !errors.Is(extra, io.EOF) {
			return problem.BadRequest("", "the body must hold exactly one JSON value")
		}
		return nil
	}
	var (
		maxErr    *http.MaxBytesError
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		return problem.New(http.StatusRequestEntityTooLarge, "too-large", "Content Too Large",
			fmt.Sprintf("the body exceeds %d bytes", h.cfg.MaxBodyBytes))
	case errors.Is(err, io.EOF):
		return problem.BadRequest("", "a JSON body is required")
	case errors.As(err, &syntaxErr):
		return problem.BadRequest("", fmt.Sprintf("malformed JSON at byte %d", syntaxErr.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return problem.BadRequest("", "malformed JSON: unexpected end of body")
	case errors.As(err, &typeErr):
		ptr := "/" + strings.ReplaceAll(typeErr.Field, ".", "/")
		if typeErr.Field == "" {
			ptr = ""
		}
		return problem.BadRequest(ptr, fmt.Sprintf("must be %s, not JSON %s", jsonKind(typeErr.Type.String()), typeErr.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return problem.BadRequest("/"+name, "unknown field")
	}
	return problem.BadRequest("", "malformed JSON body")
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
