package piimask

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// cases exercise the state machine's branches; each must give the
// reference's output, or an error when the reference gives one.
var cases = []string{
	``, ` `, `{`, `}`, `[`, `]`, `[1,]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `"abc`, `tru`, `nul`, `fals`,
	`{"a":1}x`, `-`, `-a`, `01`, `1.`, `1.e5`, `1e`, `1e+`, `.5`, "\"\x01\"", `"\x"`, `"\u12"`, `"\u12g4"`,
	`{}`, `[]`, ` { } `, ` [ ] `, `null`, `true`, `false`, ` true `, `-1.5e3`, `0`, `-0.0E-7`, `1E+2`,
	`"a\"b\\c\u00e9\ud83d\ude00<>&\n\t\r\b\f\/"`, `"\ud800"`, `"\ud800\u0041"`, `"\udc00"`, `"\ud800\ud800"`,
	` { "a" : [1, {"b": "x"}, [], {}] , "c": null, "d": false } `,
	`{"password": "x", "PassWord": 12, "secret": null, "token": true, "ssn": [1, "2"], "iban": {"a": "b"}}`,
	`{"ssn": "", "Ssn": 0, "SSN": -1.5, "ssn ": 1, "sn": 1, "tokens": 1, "p\u0061ssword": "x", "IBAN": "DE89"}`,
	"{\"pa\u017f\u017fword\": 1, \"to\u212aen\": \"x\", \"\u00e9\": 2}",
	`{"pa\u017f\u017fword": 1, "to\u212aen": "x", "x\u003cy": "<&>"}`,
	`{"k": "mail ada@example.com, bob.b+x@mail.example.org. end"}`,
	`"a@b.cd a@b.c a@.cd a@b..cd a@b.cd. a@b.cd.. @b.cd a@ a@b a.@b.cd x@y.z.ab user@localhost"`,
	`"card 4111 1111 1111 1111, 4111-1111-1111-1111; 4111111111111111 4111111111111112 5500-0000-0000-0004"`,
	`"4111111111111111abc 41111111111111111 4111  1111 1111 1111 4111 -1111 1111 1111 4111111111111111-"`,
	`"1234567890123 4222222222222 42222222222220000000 4222222222222000000 x4111111111111111 ab4111111111111111@x.com"`,
	`"0000000000000 000 0000 0000 0000 00000000000000000000 2026-11-01T10:00:00Z 79927398713 7992739871379927"`,
	`"4111111111111111@example.com 4111 1111 1111 1111@example.com a@example.com4111111111111111"`,
	`["a@b.cd", "<b>", "\u003c", "x&y", 1, [[["deep"]]], {"password": ["a@b.cd", 1]}]`,
	`{"a": {"b": {"token": {"c": "x", "token": "y"}, "d": 5}}, "token": 7}`,
	`[{"ssn": 1}, 2, {"x": 3, "ssn": "4"}, "ssn"]`,
	"\"caf\xc3\xa9 \xff\xfe a@b.cd\"",
	strings.Repeat("[", 64) + strings.Repeat("]", 64),
	strings.Repeat("[", 65) + strings.Repeat("]", 65),
	strings.Repeat("[", 66) + strings.Repeat("]", 66),
	strings.Repeat("[", 65) + "1" + strings.Repeat("]", 65),
	strings.Repeat(`{"a":`, 64) + "1" + strings.Repeat("}", 64),
	strings.Repeat(`{"a":`, 65) + "1" + strings.Repeat("}", 65),
	strings.Repeat(`{"a":`, 65) + "{}" + strings.Repeat("}", 65),
}

func check(t *testing.T, in []byte) {
	t.Helper()
	want, werr := reference(nil, in)
	var m Masker
	for round := 0; round < 2; round++ { // a reused Masker too
		got, err := m.Apply([]byte("prefix"), in)
		if (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) {
			t.Fatalf("%q: error %v, reference %v", in, err, werr)
		}
		if err == nil && !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Fatalf("%q:\ngot       %s\nreference %s", in, got[6:], want)
		}
		if _, ok := m.run(nil, in); ok != (werr == nil) {
			t.Fatalf("%q: state machine accepts=%v, reference error %v", in, ok, werr)
		}
	}
}

func TestMatchesReference(t *testing.T) {
	for _, c := range cases {
		check(t, []byte(c))
	}
	golden, err := os.ReadFile("../../testdata/pii-mask/input.json")
	if err != nil {
		t.Fatal(err)
	}
	check(t, golden)
	for i := range golden { // every prefix: the errors agree
		check(t, golden[:i])
	}
}

func FuzzMatchesReference(f *testing.F) {
	for _, c := range cases {
		f.Add([]byte(c))
	}
	if golden, err := os.ReadFile("../../testdata/pii-mask/input.json"); err == nil {
		f.Add(golden)
	}
	f.Fuzz(func(t *testing.T, in []byte) { check(t, in) })
}

func TestApplyAllocs(t *testing.T) {
	golden, err := os.ReadFile("../../testdata/pii-mask/input.json")
	if err != nil {
		t.Fatal(err)
	}
	var m Masker
	out, _ := m.Apply(nil, golden)
	if n := testing.AllocsPerRun(100, func() { out, _ = m.Apply(out[:0], golden) }); n != 0 {
		t.Errorf("%v allocations per call with a reused buffer", n)
	}
}
