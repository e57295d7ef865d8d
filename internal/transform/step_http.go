package transform

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var headerNameRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$")

// The gateway owns these; a transform may not touch them.
var reservedHeaders = map[string]bool{"Content-Length": true, "Transfer-Encoding": true, "Connection": true, "Host": true, "Upgrade": true, "Te": true, "Trailer": true}

type headerSet struct {
	name string
	val  *template
}

type headersStep struct {
	set    []headerSet
	remove []string
}

func (c *compiler) headersStep(ptr string, h *HeadersStep) stepOp {
	s := &headersStep{}
	names := make([]string, 0, len(h.Set))
	for k := range h.Set {
		names = append(names, k)
	}
	sort.Strings(names)
	check := func(p, n string) bool {
		switch {
		case !headerNameRE.MatchString(n):
			c.errs.add(p, "is not a valid header name")
		case reservedHeaders[http.CanonicalHeaderKey(n)]:
			c.errs.add(p, "is managed by the gateway")
		default:
			return true
		}
		return false
	}
	for _, n := range names {
		p := ptr + "/set/" + escapeToken(n)
		if check(p, n) {
			if t := c.template(p, h.Set[n], true); t != nil {
				s.set = append(s.set, headerSet{name: http.CanonicalHeaderKey(n), val: t})
			}
		}
	}
	for i, n := range h.Remove {
		if check(ptr+"/remove/"+strconv.Itoa(i), n) {
			s.remove = append(s.remove, http.CanonicalHeaderKey(n))
		}
	}
	if len(h.Set)+len(h.Remove) == 0 {
		c.errs.add(ptr, "must set set or remove")
	}
	return s
}

func (s *headersStep) apply(st *state) *StepError {
	h := st.msg.Headers
	if h == nil {
		h = http.Header{}
		st.msg.Headers = h
	}
	for _, r := range s.remove {
		delete(h, r)
	}
	for _, hs := range s.set {
		v, err := hs.val.render(st.env)
		if err != nil {
			return &StepError{Rule: "/set/" + escapeToken(hs.name), Err: err}
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return &StepError{Rule: "/set/" + escapeToken(hs.name), Err: fmt.Errorf("%w: header %s would contain a line break", ErrType, hs.name)}
		}
		h[hs.name] = []string{v}
	}
	return nil
}

type statusStep struct {
	set     int
	exact   map[int]int
	classes [6]int
}

func (c *compiler) statusStep(ptr string, s *StatusStep) stepOp {
	out := &statusStep{set: s.Set, exact: map[int]int{}}
	valid := func(n int) bool { return n >= 100 && n <= 599 }
	if s.Set != 0 && !valid(s.Set) {
		c.errs.add(ptr+"/set", "must be a status code between 100 and 599")
	}
	for k, v := range s.Map {
		p := ptr + "/map/" + escapeToken(k)
		if !valid(v) {
			c.errs.add(p, "must be a status code between 100 and 599")
			continue
		}
		if len(k) == 3 && k[1:] == "xx" && k[0] >= '1' && k[0] <= '5' {
			out.classes[k[0]-'0'] = v
			continue
		}
		n, err := strconv.Atoi(k)
		if err != nil || !valid(n) {
			c.errs.add(p, `key must be a status code or a class like "5xx"`)
			continue
		}
		out.exact[n] = v
	}
	if s.Set == 0 && len(s.Map) == 0 {
		c.errs.add(ptr, "must set set or map")
	}
	return out
}

func (s *statusStep) apply(st *state) *StepError {
	if s.set != 0 {
		st.msg.Status = s.set
		return nil
	}
	code := st.msg.Status
	if v, ok := s.exact[code]; ok {
		st.msg.Status = v
	} else if cl := code / 100; cl >= 1 && cl <= 5 && s.classes[cl] != 0 {
		st.msg.Status = s.classes[cl]
	}
	return nil
}
