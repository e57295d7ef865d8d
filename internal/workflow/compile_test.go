package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.asl.json golden files")

func loadWorkflow(t testing.TB, name string) *Workflow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".workflow.json"))
	if err != nil {
		t.Fatal(err)
	}
	var w Workflow
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &w
}

func compileFixture(t testing.TB, name string) *Machine {
	t.Helper()
	m, err := Compile(loadWorkflow(t, name), CompileOptions{})
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return m
}

var fixtures = []string{"linear", "saga", "parallel"}

func TestCompileGolden(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			got := compileFixture(t, name).JSON()
			golden := filepath.Join("testdata", name+".asl.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("compiled %s differs from %s (run go test -update and review the diff):\n%s", name, golden, got)
			}
			// The definition round-trips through the executor's parser.
			m, err := ParseMachine(got)
			if err != nil {
				t.Fatal(err)
			}
			if again := m.JSON(); !bytes.Equal(again, got) {
				t.Errorf("parse/marshal round trip changed the definition:\n%s", again)
			}
		})
	}
}

func TestCompiledDefinitionsPassASLValidator(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, name := range fixtures {
		file := filepath.Join(dir, name+".asl.json")
		if err := os.WriteFile(file, compileFixture(t, name).JSON(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, file)
	}
	validateASL(t, files...)
	t.Run("validator rejects a broken definition", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "bad.asl.json")
		os.WriteFile(file, []byte(`{"StartAt":"a","States":{"a":{"Type":"Task"}}}`), 0o644)
		bin := tool(t, ".bin/asl-validator")
		if out, err := execOutput(bin, "--json-path", file); err == nil {
			t.Fatalf("asl-validator accepted an invalid definition: %s", out)
		}
	})
}

func TestCompileSagaShape(t *testing.T) {
	m := compileFixture(t, "saga")
	// Every step a compensated step reaches catches into the chain, with
	// ResultPath so the completed results survive.
	for _, name := range []string{"charge", "ship", "notify"} {
		st := m.States[name]
		if len(st.Catch) != 1 || st.Catch[0].ResultPath.Expr != "$.failure" || st.Catch[0].Next != "Portico.Undo?.ship" {
			t.Errorf("%s: catch = %+v", name, st.Catch)
		}
	}
	if len(m.States["reserve"].Catch) != 0 {
		t.Error("reserve: nothing completed before it, so no catch")
	}
	// The chain runs ship, charge, reserve compensations in that order.
	want := []string{"Portico.Undo?.ship", "Portico.Undo?.charge", "Portico.Undo?.reserve", "Portico.Failed"}
	for i := 0; i+1 < len(want); i++ {
		if got := m.States[want[i]].Default; got != want[i+1] {
			t.Errorf("%s default = %s, want %s", want[i], got, want[i+1])
		}
		undo := strings.Replace(want[i], "?", "", 1)
		if got := m.States[undo].Next; got != want[i+1] {
			t.Errorf("%s next = %s, want %s", undo, got, want[i+1])
		}
	}
	if st := m.States["outOfStock"]; st.Type != "Pass" || st.Next != "Portico.Undo?.ship" {
		t.Errorf("a fail step after compensated steps compensates first: %+v", st)
	}
	if st := m.States["Portico.Failed"]; st.ErrorPath != "$.failure.Error" {
		t.Errorf("Portico.Failed = %+v", st)
	}
}

func TestCompileRejectsInvalid(t *testing.T) {
	_, err := Compile(&Workflow{Slug: "x"}, CompileOptions{})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
}
