package model_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
)

func TestValidateTransformTestCases(t *testing.T) {
	text := func(s string) *string { return &s }
	ok := model.TransformTestCase{Name: "ok", Input: json.RawMessage(`{}`), Expect: json.RawMessage(`{}`)}
	tests := []struct {
		name  string
		mut   func(tr *model.Transform)
		want  []string
		valid bool
	}{
		{"valid cases", func(tr *model.Transform) {
			tr.TestCases = []model.TransformTestCase{ok,
				{Name: "text", InputText: text("a,b"), ExpectText: text("[]"), Config: json.RawMessage(`{"x":1}`)},
				{Name: "fails", Input: json.RawMessage(`1`), ExpectError: "bad"}}
		}, nil, true},
		{"declarative with cases", func(tr *model.Transform) {
			tr.Type, tr.Document = model.TransformDeclarative, json.RawMessage(`{"steps":[]}`)
			tr.TestCases = []model.TransformTestCase{ok}
		}, []string{"/testCases"}, false},
		{"name missing and repeated", func(tr *model.Transform) {
			tr.TestCases = []model.TransformTestCase{ok, ok, {Input: json.RawMessage(`1`), Expect: json.RawMessage(`1`)}}
		}, []string{"/testCases/1/name", "/testCases/2/name"}, false},
		{"two inputs, no expectation", func(tr *model.Transform) {
			tr.TestCases = []model.TransformTestCase{{Name: "x", Input: json.RawMessage(`1`), InputText: text("1")}}
		}, []string{"/testCases/0", "/testCases/0"}, false},
		{"two expectations", func(tr *model.Transform) {
			tr.TestCases = []model.TransformTestCase{{Name: "x", InputText: text("1"), Expect: json.RawMessage(`1`), ExpectError: "e"}}
		}, []string{"/testCases/0"}, false},
		{"too large", func(tr *model.Transform) {
			tr.TestCases = []model.TransformTestCase{{Name: "x", InputText: text(strings.Repeat("a", 65<<10)), ExpectError: "e"}}
		}, []string{"/testCases/0"}, false},
		{"too many", func(tr *model.Transform) {
			tr.TestCases = make([]model.TransformTestCase, model.MaxTransformTestCases+1)
		}, []string{"/testCases"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &model.Transform{Slug: "t", Name: "T", Type: model.TransformWasm}
			tt.mut(tr)
			check(t, model.ValidateTransform(tr), tt.want, "")
		})
	}
}

func TestWasmPublishable(t *testing.T) {
	mod := &model.TransformModule{Hash: "h"}
	cases := []model.TransformTestCase{{Name: "x", Input: json.RawMessage(`1`), Expect: json.RawMessage(`1`)}}
	tests := []struct {
		name string
		tr   model.Transform
		want bool
	}{
		{"no module", model.Transform{Type: model.TransformWasm}, false},
		{"module, no cases", model.Transform{Type: model.TransformWasm, Module: mod}, true},
		{"cases not run", model.Transform{Type: model.TransformWasm, Module: mod, TestCases: cases}, false},
		{"cases failing", model.Transform{Type: model.TransformWasm, Module: mod, TestCases: cases, Tests: &model.TransformTests{}}, false},
		{"cases passing", model.Transform{Type: model.TransformWasm, Module: mod, TestCases: cases, Tests: &model.TransformTests{Passed: true}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tr.Publishable(); got != tt.want {
				t.Fatalf("Publishable = %v, want %v", got, tt.want)
			}
		})
	}
}
