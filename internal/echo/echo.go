package echo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/internal/problem"
)

// DefaultMaxBodyBytes is the largest request body the handler reads.
const DefaultMaxBodyBytes int64 = 1 << 20

// maxIDLen bounds the id of /items/{id}.
const maxIDLen = 64

// Config configures a Handler. The zero value is usable.
type Config struct {
	// Now returns the time reported as receivedAt; nil means time.Now.
	Now func() time.Time
	// MaxBodyBytes caps the request body; zero or negative means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Logger receives errors writing responses; nil means slog.Default().
	Logger *slog.Logger
}

// Handler is the demo upstream. Routes:
//
//	GET /status/{code}  responds with that status (200..599)
//	GET /items/{id}     a deterministic fake item
//	/ (anything else)   a JSON description of the request (see Echo)
type Handler struct {
	now     func() time.Time
	maxBody int64
	log     *slog.Logger
	mux     *http.ServeMux
}

var _ http.Handler = (*Handler)(nil)

// New returns a Handler with cfg's defaults filled in.
func New(cfg Config) *Handler {
	h := &Handler{now: cfg.Now, maxBody: cfg.MaxBodyBytes, log: cfg.Logger, mux: http.NewServeMux()}
	if h.now == nil {
		h.now = time.Now
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.mux.HandleFunc("GET /status/{code}", h.status)
	h.mux.HandleFunc("GET /items/{id}", h.item)
	h.mux.HandleFunc("/", h.echo)
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Echo is the body of an echo response.
type Echo struct {
	Method     string              `json:"method"`
	Path       string              `json:"path"`
	Host       string              `json:"host"`
	Query      map[string][]string `json:"query"`
	Headers    map[string][]string `json:"headers"`
	Body       any                 `json:"body"` // string, parsed JSON, or null when empty
	ReceivedAt time.Time           `json:"receivedAt"`
}

// Item is the body of GET /items/{id}.
type Item struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Price float64 `json:"price"`
}

func (h *Handler) echo(w http.ResponseWriter, r *http.Request) {
	received := h.now().UTC()
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.problem(w, r, problem.New(http.StatusRequestEntityTooLarge, "payload-too-large", "Payload Too Large",
				fmt.Sprintf("the request body exceeds %d bytes", mbe.Limit)).WithCause(err))
			return
		}
		h.problem(w, r, problem.BadRequest("", "the request body could not be read").WithCause(fmt.Errorf("read echo body: %w", err)))
		return
	}
	query := map[string][]string(r.URL.Query())
	headers := map[string][]string(r.Header)
	if headers == nil {
		headers = map[string][]string{}
	}
	h.json(w, r, http.StatusOK, Echo{
		Method:     r.Method,
		Path:       r.URL.Path,
		Host:       r.Host,
		Query:      query,
		Headers:    headers,
		Body:       body(raw, r.Header.Get("Content-Type")),
		ReceivedAt: received,
	})
}

// body returns raw as parsed JSON when the content type says JSON and it
// parses, as a string otherwise, or nil when empty.
func body(raw []byte, contentType string) any {
	if len(raw) == 0 {
		return nil
	}
	if isJSON(contentType) {
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err == nil {
			if _, err := dec.Token(); err == io.EOF { // exactly one value
				return v
			}
		}
	}
	return string(raw)
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("code")
	code, err := strconv.Atoi(raw)
	if err != nil || code < 100 || code > 599 {
		h.problem(w, r, problem.BadRequest("", "status must be an integer between 100 and 599"))
		return
	}
	if code < 200 {
		// net/http sends 1xx as interim responses followed by a 200,
		// so they cannot be the final status.
		h.problem(w, r, problem.BadRequest("", "1xx statuses are interim responses and cannot be returned as a final status"))
		return
	}
	switch code {
	case http.StatusNoContent, http.StatusNotModified:
		w.WriteHeader(code)
		return
	}
	h.json(w, r, code, map[string]any{"status": code, "title": http.StatusText(code)})
}

func (h *Handler) item(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		h.problem(w, r, problem.BadRequest("", fmt.Sprintf("id must be 1 to %d letters, digits, '-' or '_'", maxIDLen)))
		return
	}
	h.json(w, r, http.StatusOK, NewItem(id))
}

// NewItem returns the fake item GET /items/{id} serves: the same id always
// gives the same name and a price between 1.00 and 1000.99.
func NewItem(id string) Item {
	f := fnv.New32a()
	_, _ = f.Write([]byte(id))
	cents := 100 + f.Sum32()%100000
	return Item{ID: id, Name: "Item " + id, Price: float64(cents) / 100}
}

func validID(id string) bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (h *Handler) json(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		h.problem(w, r, problem.Internal(fmt.Errorf("encode echo response: %w", err)))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	if _, err := w.Write(append(b, '\n')); err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelDebug, "echo: write response", slog.Any("error", err))
	}
}

func (h *Handler) problem(w http.ResponseWriter, r *http.Request, p *problem.Problem) {
	id := problem.Write(w, p)
	if p.Cause != nil {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "echo: request failed", slog.String("errorId", id), slog.Any("error", p.Cause))
	}
}
