package wasmhosttest

import "encoding/hex"

// Hand-assembled modules meeting the transform ABI (docs/wasm-abi.md):
// fast to load, exact about what they do.
const (
	echoHex     = "0061736d01000000010f0360000060017f017f60027f7f017e03030201020503010001071e03066d656d6f7279020005616c6c6f630000097472616e73666f726d00010a140205004180080b0c002000ad4220862001ad840b"
	guestErrHex = "0061736d01000000010f0360000060017f017f60027f7f017e03030201020503010001071e03066d656d6f7279020005616c6c6f630000097472616e73666f726d00010a1b0205004180080b13002000ad4220862001ad42808080800884840b"
)

// Echo returns a module whose transform answers its input unchanged.
func Echo() []byte { return mustHex(echoHex) }

// GuestError returns a module whose transform reports its input as a
// guest error (wasmhost.ErrGuest with the input as the message).
func GuestError() []byte { return mustHex(guestErrHex) }

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
