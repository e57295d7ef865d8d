package workflow

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// tool returns the path of a project-local npm tool (tools/node_modules),
// failing under CI and skipping elsewhere when `make tools` has not run.
func tool(t testing.TB, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "tools", "node_modules", rel))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: run `make tools`", rel)
		}
		t.Skipf("%s is missing: run `make tools`", rel)
	}
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not on PATH")
		}
		t.Skip("node is not on PATH")
	}
	return p
}

// validateASL runs the real asl-validator CLI once on definition files
// (each node start costs about a second).
func validateASL(t *testing.T, files ...string) {
	t.Helper()
	bin := tool(t, ".bin/asl-validator")
	var args []string
	for _, f := range files {
		args = append(args, "--json-path", f)
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Errorf("asl-validator rejects a definition: %v\n%s", err, out)
	}
}

func execOutput(bin string, args ...string) ([]byte, error) {
	return exec.Command(bin, args...).CombinedOutput()
}
