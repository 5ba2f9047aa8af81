// Command tlog-tiles follows a C2SP tlog-tiles log (c2sp.org/tlog-tiles) with Go's
// golang.org/x/mod/sumdb/note and sumdb/tlog only, as a mirror or monitor would: it opens the
// checkpoint, reads hashes through tlog.TileHashReader (which checks every tile it reads
// against the signed root), reads every entry bundle, and proves each entry's inclusion.
//
//	tlog-tiles <prefix URL> <bearer token> <verifier key>
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var prefix, token string

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: tlog-tiles <prefix URL> <bearer token> <verifier key>")
		os.Exit(2)
	}
	prefix, token = strings.TrimSuffix(os.Args[1], "/"), os.Args[2]
	if err := follow(strings.TrimSpace(os.Args[3])); err != nil {
		fmt.Fprintln(os.Stderr, "tlog-tiles:", err)
		os.Exit(1)
	}
}

func get(path string) ([]byte, error) {
	req, err := http.NewRequest("GET", prefix+"/"+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	return body, nil
}

// tiles reads C2SP tile paths: Go's tile path has the height after "tile/", the spec has none.
type tiles struct{}

func (tiles) Height() int { return 8 }

func (tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(ts))
	for i, t := range ts {
		var err error
		if data[i], err = get(specPath(t)); err != nil {
			return nil, err
		}
	}
	return data, nil
}

func (tiles) SaveTiles([]tlog.Tile, [][]byte) {}

func specPath(t tlog.Tile) string {
	return "tile/" + strings.TrimPrefix(t.Path(), "tile/8/")
}

func follow(vkey string) error {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return err
	}
	raw, err := get("checkpoint")
	if err != nil {
		return err
	}
	checkpoint, err := note.Open(raw, note.VerifierList(verifier))
	if err != nil {
		return fmt.Errorf("checkpoint: %v", err)
	}
	lines := strings.Split(checkpoint.Text, "\n")
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return err
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return err
	}
	tree := tlog.Tree{N: size, Hash: root}
	hashes := tlog.TileHashReader(tree, tiles{})
	if got, err := tlog.TreeHash(size, hashes); err != nil || got != root {
		return fmt.Errorf("tree hash from tiles: %v %v", got, err)
	}

	for start := int64(0); start < size; start += 256 {
		width := size - start
		if width > 256 {
			width = 256
		}
		path := specPath(tlog.Tile{H: 8, L: 0, N: start / 256, W: int(width)})
		bundle, err := get(strings.Replace(path, "tile/0/", "tile/entries/", 1))
		if err != nil {
			return err
		}
		for i := start; i < start+width; i++ {
			if len(bundle) < 2 {
				return fmt.Errorf("entry bundle of %d ends before entry %d", start, i)
			}
			n := int(binary.BigEndian.Uint16(bundle))
			if len(bundle) < 2+n {
				return errors.New("entry cut short")
			}
			entry := bundle[2 : 2+n]
			bundle = bundle[2+n:]
			proof, err := tlog.ProveRecord(size, i, hashes)
			if err != nil {
				return fmt.Errorf("entry %d: %v", i, err)
			}
			if err := tlog.CheckRecord(proof, size, root, i, tlog.RecordHash(entry)); err != nil {
				return fmt.Errorf("entry %d: %v", i, err)
			}
		}
		if len(bundle) != 0 {
			return fmt.Errorf("entry bundle of %d has bytes after its %d entries", start, width)
		}
	}
	fmt.Printf("%s: %d entries, each proven in the checkpoint of size %d\n", lines[0], size, size)
	return nil
}
