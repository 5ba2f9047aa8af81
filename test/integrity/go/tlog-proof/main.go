// Command tlog-proof checks a C2SP tlog-proof bundle (c2sp.org/tlog-proof@v1) with Go's
// golang.org/x/mod/sumdb/note and sumdb/tlog only: code that is not the ledger's, reading
// nothing but the spec and the ledger's documented extra data (docs/design.md §7.6).
//
//	tlog-proof <bundle file> <verifier key>
//
// The extra data is the entry's leaf input; a receipt bundle appends a newline and the receipt
// (a signed note of the same key). Prints what it verified; exits 1 naming what failed.
package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: tlog-proof <bundle> <verifier key>")
		os.Exit(2)
	}
	bundle, err := os.ReadFile(os.Args[1])
	if err == nil {
		err = check(string(bundle), strings.TrimSpace(os.Args[2]))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tlog-proof:", err)
		os.Exit(1)
	}
}

func check(bundle, vkey string) error {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return err
	}
	verifiers := note.VerifierList(verifier)

	// Header, optional extra, index, proof hashes, an empty line, then the checkpoint verbatim.
	parts := strings.SplitN(bundle, "\n\n", 2)
	if len(parts) != 2 {
		return errors.New("no empty line before the checkpoint")
	}
	lines := strings.Split(parts[0], "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" {
		return errors.New("first line is not c2sp.org/tlog-proof@v1")
	}
	lines = lines[1:]
	var extra []byte
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		if extra, err = base64.StdEncoding.DecodeString(lines[0][len("extra "):]); err != nil {
			return fmt.Errorf("extra: %v", err)
		}
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return errors.New("no index line")
	}
	indexText := lines[0][len("index "):]
	index, err := strconv.ParseInt(indexText, 10, 64)
	if err != nil || index < 0 || strconv.FormatInt(index, 10) != indexText {
		return fmt.Errorf("index %q is not a decimal without leading zeroes", indexText)
	}
	var proof tlog.RecordProof
	for _, line := range lines[1:] {
		h, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(h) != tlog.HashSize {
			return fmt.Errorf("proof line %q is not a base64 SHA-256 hash", line)
		}
		var hash tlog.Hash
		copy(hash[:], h)
		proof = append(proof, hash)
	}

	checkpoint, err := note.Open([]byte(parts[1]), verifiers)
	if err != nil {
		return fmt.Errorf("checkpoint: %v", err)
	}
	body := strings.Split(checkpoint.Text, "\n")
	if len(body) < 4 {
		return errors.New("checkpoint text has fewer than three lines")
	}
	size, err := strconv.ParseInt(body[1], 10, 64)
	if err != nil {
		return fmt.Errorf("checkpoint size: %v", err)
	}
	root, err := tlog.ParseHash(body[2])
	if err != nil {
		return fmt.Errorf("checkpoint root: %v", err)
	}

	leaf, receipt, isReceipt := bytes.Cut(extra, []byte("\n"))
	if err := tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(leaf)); err != nil {
		return fmt.Errorf("inclusion proof: %v", err)
	}
	fmt.Printf("entry %d is in the checkpoint of %s, size %d, root %s\n", index, body[0], size, body[2])
	if isReceipt {
		signed, err := note.Open(receipt, verifiers)
		if err != nil {
			return fmt.Errorf("receipt: %v", err)
		}
		fmt.Printf("receipt: %s", signed.Text)
	}
	return nil
}
