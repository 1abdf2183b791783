// Package export writes what a command produces: indented JSON, CSV
// numbers, plots, NumPy archives of a run, and the files themselves — written to temporary files and moved into place only
// when complete, never replacing anything but a regular file.
package export

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// WriteJSON writes v indented, with a final newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// CSVFloat formats a number for CSV: shortest round-trip form, NaN and ±Inf
// as NaN, Inf and -Inf (which pandas and numpy read).
func CSVFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Dir collects the files of one command into a temporary directory next
// to the destination and moves them into place only when every file was
// written, so a failure leaves nothing behind.
type Dir struct {
	dst     string // the final directory
	tmp     string // where files are written until commit
	created string // the topmost parent directory made for dst, removed on abort
	names   []string
}

// PrepareDir checks that dst can be written (it is a directory or does
// not exist) and makes the temporary directory beside it, creating missing
// parents. Call commit or abort.
func PrepareDir(dst string) (*Dir, error) {
	if dst == "" {
		return nil, fmt.Errorf("--out: empty directory name")
	}
	dst = filepath.Clean(dst)
	if fi, err := os.Stat(dst); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("--out %s: exists and is not a directory", dst)
	} else if err == nil {
		if err := CheckWritable(dst); err != nil {
			return nil, fmt.Errorf("--out %s: %w", dst, err)
		}
	} else if !os.IsNotExist(err) {
		return nil, fmt.Errorf("--out: %w", err)
	}
	o := &Dir{dst: dst}
	parent := filepath.Dir(dst)
	created, err := mkdirAllTop(parent)
	if err != nil {
		return nil, fmt.Errorf("--out %s: %w", dst, err)
	}
	o.created = created
	o.tmp, err = os.MkdirTemp(parent, ".tweedie-tmp-")
	if err != nil {
		o.removeCreated()
		return nil, fmt.Errorf("--out %s: %w", dst, err)
	}
	return o, nil
}

// mkdirAllTop is os.MkdirAll that also returns the topmost directory it
// created ("" when dir existed).
func mkdirAllTop(dir string) (string, error) {
	top := ""
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !os.IsNotExist(err) {
			return "", err
		}
		top = d
		if filepath.Dir(d) == d {
			break
		}
	}
	if top == "" {
		return "", nil
	}
	return top, os.MkdirAll(dir, 0o755)
}

func (o *Dir) removeCreated() {
	if o.created != "" {
		os.RemoveAll(o.created)
	}
}

// write creates the file name in the temporary directory and fills it.
func (o *Dir) Write(name string, fill func(w io.Writer) error) error {
	f, err := os.Create(filepath.Join(o.tmp, name))
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	if err := fill(bw); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	o.names = append(o.names, name)
	return nil
}

// commit moves the files into dst: the whole directory when dst does not
// exist, file by file (replacing files of the same name) when it does.
// Every target is checked first: one that is not a regular file fails the
// commit before any is replaced.
func (o *Dir) Commit() error {
	if _, err := os.Stat(o.dst); os.IsNotExist(err) {
		if err := os.Rename(o.tmp, o.dst); err != nil {
			return err
		}
		return os.Chmod(o.dst, 0o755) // MkdirTemp makes it 0700
	}
	for _, n := range o.names {
		if err := CheckReplaceable(filepath.Join(o.dst, n)); err != nil {
			return err
		}
	}
	for _, n := range o.names {
		if err := os.Rename(filepath.Join(o.tmp, n), filepath.Join(o.dst, n)); err != nil {
			return err
		}
	}
	return os.RemoveAll(o.tmp)
}

// abort removes everything written, and the parents PrepareDir made.
func (o *Dir) Abort() {
	os.RemoveAll(o.tmp)
	o.removeCreated()
}

// AtomicFile writes one file through a temporary file in the same
// directory, renamed into place when complete.
func AtomicFile(path string, fill func(w io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tweedie-tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	bw := bufio.NewWriter(f)
	err = fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = CheckReplaceable(path)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// CheckDest checks, before any work, that path can be written: it is
// missing or a regular file, and its directory exists and takes new files.
func CheckDest(flagName, path string) error {
	if path == "" {
		return fmt.Errorf("%s: empty file name", flagName)
	}
	if err := CheckReplaceable(path); err != nil {
		return fmt.Errorf("%s %w", flagName, err)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s %s: directory %s does not exist", flagName, path, dir)
	}
	if err := CheckWritable(dir); err != nil {
		return fmt.Errorf("%s %s: %w", flagName, path, err)
	}
	return nil
}

// CheckWritable checks that a file can be created in dir, by creating and
// removing one.
func CheckWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".tweedie-tmp-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the temporary file's name says nothing
		}
		return fmt.Errorf("cannot create a file in %s: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// CheckReplaceable refuses a target that exists and is not a regular file:
// outputs are written to a temporary file and renamed over the target,
// which would replace a device, FIFO, symbolic link or directory instead of
// writing through it.
func CheckReplaceable(path string) error {
	fi, err := os.Lstat(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var kind string
	switch m := fi.Mode(); {
	case m.IsRegular():
		return nil
	case m.IsDir():
		kind = "a directory"
	case m&os.ModeSymlink != 0:
		kind = "a symbolic link"
	case m&os.ModeNamedPipe != 0:
		kind = "a FIFO"
	case m&os.ModeDevice != 0:
		kind = "a device"
	default:
		kind = "a special file"
	}
	return fmt.Errorf("%s is %s, not a regular file: not replaced", path, kind)
}
