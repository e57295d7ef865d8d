package workflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
)

// Machine is an Amazon States Language state machine (or a Parallel
// branch): the subset of the language the compiler emits and the Executor
// runs. Field names are the language's.
type Machine struct {
	Comment        string            `json:"Comment,omitempty"`
	QueryLanguage  string            `json:"QueryLanguage,omitempty"`
	StartAt        string            `json:"StartAt"`
	TimeoutSeconds int               `json:"TimeoutSeconds,omitempty"`
	States         map[string]*State `json:"States"`
}

// State is one ASL state; which fields apply depends on Type.
type State struct {
	Type    string `json:"Type"`
	Comment string `json:"Comment,omitempty"`
	Next    string `json:"Next,omitempty"`
	End     bool   `json:"End,omitempty"`

	InputPath      Path            `json:"InputPath,omitzero"`
	OutputPath     Path            `json:"OutputPath,omitzero"`
	ResultPath     Path            `json:"ResultPath,omitzero"`
	Parameters     json.RawMessage `json:"Parameters,omitempty"`
	ResultSelector json.RawMessage `json:"ResultSelector,omitempty"`
	Result         json.RawMessage `json:"Result,omitempty"`

	// Task
	Resource       string `json:"Resource,omitempty"`
	TimeoutSeconds int    `json:"TimeoutSeconds,omitempty"`
	// Task and Parallel
	Retry []Retrier `json:"Retry,omitempty"`
	Catch []Catcher `json:"Catch,omitempty"`
	// Parallel
	Branches []*Machine `json:"Branches,omitempty"`
	// Choice
	Choices []ChoiceRule `json:"Choices,omitempty"`
	Default string       `json:"Default,omitempty"`
	// Wait
	Seconds       *int   `json:"Seconds,omitempty"`
	SecondsPath   string `json:"SecondsPath,omitempty"`
	Timestamp     string `json:"Timestamp,omitempty"`
	TimestampPath string `json:"TimestampPath,omitempty"`
	// Fail
	Error     string `json:"Error,omitempty"`
	Cause     string `json:"Cause,omitempty"`
	ErrorPath string `json:"ErrorPath,omitempty"`
	CausePath string `json:"CausePath,omitempty"`

	// parsed caches the decoded Parameters, ResultSelector and Result for
	// the executor (decoded once per state, not per execution).
	parsed struct {
		once                     sync.Once
		params, selector, result any
		err                      error
	}
}

// templates returns the state's decoded templates.
func (s *State) templates() (params, selector, result any, err error) {
	s.parsed.once.Do(func() {
		p := &s.parsed
		if len(s.Parameters) > 0 {
			if p.params, p.err = decode(s.Parameters); p.err != nil {
				return
			}
		}
		if len(s.ResultSelector) > 0 {
			if p.selector, p.err = decode(s.ResultSelector); p.err != nil {
				return
			}
		}
		if len(s.Result) > 0 {
			p.result, p.err = decode(s.Result)
		}
	})
	return s.parsed.params, s.parsed.selector, s.parsed.result, s.parsed.err
}

// Path is an optional JSONPath field that may also be an explicit null
// (InputPath, OutputPath, ResultPath): absent, null, or a path.
type Path struct {
	Set  bool   // present in the document
	Null bool   // present and null
	Expr string // the path when present and not null
}

// P returns a present path.
func P(expr string) Path { return Path{Set: true, Expr: expr} }

// NullPath is an explicit null path.
var NullPath = Path{Set: true, Null: true}

// IsZero reports whether the path is absent (for omitzero).
func (p Path) IsZero() bool { return !p.Set }

// MarshalJSON implements json.Marshaler.
func (p Path) MarshalJSON() ([]byte, error) {
	if p.Null {
		return []byte("null"), nil
	}
	return json.Marshal(p.Expr)
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *Path) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*p = NullPath
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("path must be a string or null: %w", err)
	}
	*p = P(s)
	return nil
}

// Retrier is one entry of a Retry field.
type Retrier struct {
	ErrorEquals     []string `json:"ErrorEquals"`
	IntervalSeconds int      `json:"IntervalSeconds,omitempty"`
	MaxAttempts     *int     `json:"MaxAttempts,omitempty"`
	BackoffRate     float64  `json:"BackoffRate,omitempty"`
	MaxDelaySeconds int      `json:"MaxDelaySeconds,omitempty"`
	JitterStrategy  string   `json:"JitterStrategy,omitempty"`
}

// Catcher is one entry of a Catch field.
type Catcher struct {
	ErrorEquals []string `json:"ErrorEquals"`
	Next        string   `json:"Next"`
	ResultPath  Path     `json:"ResultPath,omitzero"`
}

// ChoiceRule is a Choice rule or a nested boolean expression: And, Or, Not,
// or Variable compared by Op (a comparison operator field name such as
// "NumericGreaterThan") with Value. Next is set on top-level rules only.
type ChoiceRule struct {
	And      []ChoiceRule
	Or       []ChoiceRule
	Not      *ChoiceRule
	Variable string
	Op       string
	Value    json.RawMessage
	Next     string
}

// MarshalJSON writes the rule with the operator as a field name.
func (r ChoiceRule) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	switch {
	case r.And != nil:
		m["And"] = r.And
	case r.Or != nil:
		m["Or"] = r.Or
	case r.Not != nil:
		m["Not"] = r.Not
	default:
		m["Variable"] = r.Variable
		m[r.Op] = r.Value
	}
	if r.Next != "" {
		m["Next"] = r.Next
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads a rule; any field other than the known ones is the
// comparison operator.
func (r *ChoiceRule) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*r = ChoiceRule{}
	for k, v := range m {
		var err error
		switch k {
		case "And":
			err = json.Unmarshal(v, &r.And)
		case "Or":
			err = json.Unmarshal(v, &r.Or)
		case "Not":
			r.Not = new(ChoiceRule)
			err = json.Unmarshal(v, r.Not)
		case "Variable":
			err = json.Unmarshal(v, &r.Variable)
		case "Next":
			err = json.Unmarshal(v, &r.Next)
		case "Comment":
		default:
			if r.Op != "" {
				return fmt.Errorf("choice rule has two operators: %s and %s", r.Op, k)
			}
			r.Op, r.Value = k, v
		}
		if err != nil {
			return fmt.Errorf("choice rule %s: %w", k, err)
		}
	}
	return nil
}

// ParseMachine decodes an ASL definition.
func ParseMachine(def []byte) (*Machine, error) {
	dec := json.NewDecoder(bytes.NewReader(def))
	var m Machine
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("parse state machine: %w", err)
	}
	if m.QueryLanguage != "" && m.QueryLanguage != "JSONPath" {
		return nil, fmt.Errorf("parse state machine: query language %q is not supported", m.QueryLanguage)
	}
	return &m, nil
}

// JSON returns the definition, indented, as deployed.
func (m *Machine) JSON() []byte {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil { // cannot happen: every field is marshalable
		panic(err)
	}
	return append(b, '\n')
}
