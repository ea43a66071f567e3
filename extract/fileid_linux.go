package extract

import (
	"os"
	"syscall"
)

// fileIDOf is fi's FileID, and false when the system gives none.
func fileIDOf(fi os.FileInfo) (FileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return FileID{}, false
	}
	return FileID{
		Size:       fi.Size(),
		ModTime:    st.Mtim.Nano(),
		ChangeTime: st.Ctim.Nano(),
		Inode:      st.Ino,
		Device:     uint64(st.Dev), //nolint:unconvert // int32 on some architectures
	}, true
}
