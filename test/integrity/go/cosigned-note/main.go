// Verifies a cosigned checkpoint with golang.org/x/mod/sumdb/note, not the ledger's own code:
// the log's signature with note's own Ed25519 verifier, and each witness's cosignature/v1
// (c2sp.org/tlog-cosignature) with the small note.Verifier below.
//
// Usage: cosigned-note NOTE_FILE LOG_VKEY WITNESS_VKEY...
// Prints one verified signer name a line; exits 1 when the note does not verify.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// cosignatureV1 verifies Ed25519 cosignature/v1 lines: key ID SHA-256(name || "\n" || 0x04 || key)[:4],
// signature timestamp (8 bytes, big-endian) || Ed25519 over "cosignature/v1\ntime <t>\n" || body.
type cosignatureV1 struct {
	name   string
	hash   uint32
	public ed25519.PublicKey
}

func (v *cosignatureV1) Name() string    { return v.name }
func (v *cosignatureV1) KeyHash() uint32 { return v.hash }
func (v *cosignatureV1) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	if t == 0 {
		return false
	}
	signed := append([]byte("cosignature/v1\ntime "+strconv.FormatUint(t, 10)+"\n"), msg...)
	return ed25519.Verify(v.public, signed, sig[8:])
}

func newCosignatureV1(vkey string) (*cosignatureV1, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, errors.New("malformed witness key")
	}
	name := parts[0]
	key, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(key) != 1+ed25519.PublicKeySize || key[0] != 0x04 {
		return nil, errors.New("not a cosignature/v1 key")
	}
	h := sha256.Sum256(append([]byte(name+"\n"), key...))
	hash := binary.BigEndian.Uint32(h[:4])
	if fmt.Sprintf("%08x", hash) != parts[1] {
		return nil, errors.New("witness key ID does not match")
	}
	return &cosignatureV1{name: name, hash: hash, public: ed25519.PublicKey(key[1:])}, nil
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: cosigned-note NOTE_FILE LOG_VKEY WITNESS_VKEY...")
		os.Exit(2)
	}
	msg, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	logVerifier, err := note.NewVerifier(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "log key:", err)
		os.Exit(2)
	}
	verifiers := []note.Verifier{logVerifier}
	for _, vkey := range os.Args[3:] {
		v, err := newCosignatureV1(vkey)
		if err != nil {
			fmt.Fprintln(os.Stderr, "witness key:", err)
			os.Exit(2)
		}
		verifiers = append(verifiers, v)
	}
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		fmt.Fprintln(os.Stderr, "note:", err)
		os.Exit(1)
	}
	for _, sig := range n.Sigs {
		fmt.Println(sig.Name)
	}
}
