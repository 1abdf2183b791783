// Package safefile opens files named by users without following them
// where they should not lead: reads that refuse anything but a regular
// file without waiting on it (a FIFO opened for reading waits for a
// writer, a device may never end), and creation that never follows a
// symbolic link nor replaces an existing file.
package safefile

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// OpenRegular opens path for reading when it is a regular file, and
// refuses anything else without waiting on it: it opens with O_NONBLOCK
// (a FIFO opens at once rather than waiting for a writer) and O_NOCTTY,
// then checks the file it opened (fstat, so the check and the reads are of
// one file). A symbolic link to a regular file is followed.
func OpenRegular(path string) (*os.File, os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s: not a regular file (%s)", path, kind(fi.Mode()))
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// kind names what a file that is not a regular file is.
func kind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	}
	return m.Type().String()
}

// ReadRegular reads the regular file at path (OpenRegular), at most max
// bytes: a larger file is an error.
func ReadRegular(path string, max int64) ([]byte, os.FileInfo, error) {
	f, fi, err := OpenRegular(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(b)) > max {
		return nil, nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return b, fi, nil
}

// CreateNew creates path for writing with mode perm, and fails (with an
// error satisfying errors.Is(err, fs.ErrExist)) when anything is there
// already, a symbolic link included, dangling or not: O_CREATE|O_EXCL
// never follows a link, and O_NOFOLLOW says so again.
func CreateNew(path string, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, perm)
}
