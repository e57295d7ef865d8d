package model

import (
	"encoding/json"
	"strconv"
	"time"
)

// TransformType says how a transform is written.
type TransformType string

// Transform types.
const (
	// TransformDeclarative is a transform document (steps and test cases,
	// docs/transforms.md).
	TransformDeclarative TransformType = "declarative"
	// TransformWasm is a tenant WebAssembly module (docs/wasm-abi.md) that
	// receives the body and returns the new body.
	TransformWasm TransformType = "wasm"
)

// Transform is a tenant's named transform, referenced by endpoints'
// RequestTransforms and ResponseTransforms.
type Transform struct {
	Slug        string        `json:"slug"`
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	Type        TransformType `json:"type"`
	// Document is a declarative transform: {"steps": [...], "tests": [...]}.
	Document json.RawMessage `json:"document,omitempty"`
	// Module is the uploaded WebAssembly module of a wasm transform; set by
	// the module upload, never by the body of a save.
	Module *TransformModule `json:"module,omitempty"`
	// Config is passed once per instance to a wasm module's configure
	// export (for example a rate table).
	Config json.RawMessage `json:"config,omitempty"`
	// FreshInstance runs every call of a wasm module on a new instance, so
	// that no state survives between callers (costly for Go guests).
	FreshInstance bool `json:"freshInstance,omitempty"`
	// TestCases are a wasm transform's test cases, run in the sandbox on
	// every save and module upload (a declarative transform keeps its own
	// in its document).
	TestCases []TransformTestCase `json:"testCases,omitempty"`
	// Tests are the results of the test cases, run on every save (and, for
	// wasm, module upload); set by the server. A transform whose tests
	// fail is stored but cannot be published.
	Tests *TransformTests `json:"tests,omitempty"`
	Meta
}

// TransformTestCase is one test case of a wasm transform: the body the
// module is given, an optional configuration replacing the transform's,
// and what it must return. Input and Expect are JSON (compared as JSON
// values); InputText and ExpectText are sent and compared as raw text
// (a CSV, an XML document). ExpectError expects the call to fail with an
// error containing it.
type TransformTestCase struct {
	Name        string          `json:"name"`
	Input       json.RawMessage `json:"input,omitempty"`
	InputText   *string         `json:"inputText,omitempty"`
	Config      json.RawMessage `json:"config,omitempty"`
	Expect      json.RawMessage `json:"expect,omitempty"`
	ExpectText  *string         `json:"expectText,omitempty"`
	ExpectError string          `json:"expectError,omitempty"`
}

// Limits on a wasm transform's test cases.
const (
	MaxTransformTestCases = 50
	maxTestCaseBytes      = 64 << 10
)

// TransformModule is the content-addressed module a wasm transform runs.
type TransformModule struct {
	Hash       string    `json:"sha256"`
	Size       int64     `json:"size"`
	UploadedAt time.Time `json:"uploadedAt"`
}

// TransformTests are a transform's test results at its last save.
type TransformTests struct {
	Passed  bool                  `json:"passed"`
	Results []TransformTestResult `json:"results"`
}

// TransformTestResult is one test case's outcome.
type TransformTestResult struct {
	Name   string `json:"name"`
	Pass   bool   `json:"pass"`
	Detail string `json:"detail,omitempty"`
}

// Publishable reports whether the transform may be used by a published
// version: its tests pass, and a wasm transform has a module.
func (t *Transform) Publishable() bool {
	switch t.Type {
	case TransformWasm:
		return t.Module != nil && (len(t.TestCases) == 0 || t.Tests != nil && t.Tests.Passed)
	default:
		return t.Tests != nil && t.Tests.Passed
	}
}

// ValidateTransform checks the fields a tenant writes. The document itself
// is validated by the transform engine (catalog).
func ValidateTransform(t *Transform) Errors {
	var e Errors
	e.slug("/slug", t.Slug)
	e.name("/name", t.Name, true)
	if len(t.Description) > 1000 {
		e.Add("/description", "must be at most 1000 characters")
	}
	switch t.Type {
	case TransformDeclarative:
		if len(t.Document) == 0 {
			e.Add("/document", "is required for a declarative transform")
		}
		if len(t.Config) > 0 {
			e.Add("/config", "is only valid for wasm transforms")
		}
		if t.FreshInstance {
			e.Add("/freshInstance", "is only valid for wasm transforms")
		}
		if len(t.TestCases) > 0 {
			e.Add("/testCases", "is only valid for wasm transforms (a declarative transform's tests are in its document)")
		}
	case TransformWasm:
		if len(t.Document) > 0 {
			e.Add("/document", "is only valid for declarative transforms")
		}
		if len(t.Config) > 64<<10 {
			e.Add("/config", "must be at most 65536 bytes")
		}
		validateTestCases(&e, t.TestCases)
	default:
		e.Add("/type", "must be declarative or wasm")
	}
	return e
}

func validateTestCases(e *Errors, cases []TransformTestCase) {
	if len(cases) > MaxTransformTestCases {
		e.Add("/testCases", "must be at most %d test cases", MaxTransformTestCases)
		return
	}
	names := map[string]bool{}
	for i, c := range cases {
		ptr := "/testCases/" + strconv.Itoa(i)
		switch {
		case c.Name == "":
			e.Add(ptr+"/name", "is required")
		case len(c.Name) > 200:
			e.Add(ptr+"/name", "must be at most 200 characters")
		case names[c.Name]:
			e.Add(ptr+"/name", "repeats the name of another test case")
		}
		names[c.Name] = true
		if (len(c.Input) > 0) == (c.InputText != nil) {
			e.Add(ptr, "needs exactly one of input (JSON) and inputText")
		}
		n := 0
		for _, set := range []bool{len(c.Expect) > 0, c.ExpectText != nil, c.ExpectError != ""} {
			if set {
				n++
			}
		}
		if n != 1 {
			e.Add(ptr, "needs exactly one of expect (JSON), expectText and expectError")
		}
		size := len(c.Input) + len(c.Config) + len(c.Expect) + len(c.ExpectError)
		if c.InputText != nil {
			size += len(*c.InputText)
		}
		if c.ExpectText != nil {
			size += len(*c.ExpectText)
		}
		if size > maxTestCaseBytes {
			e.Add(ptr, "must be at most %d bytes", maxTestCaseBytes)
		}
	}
}
