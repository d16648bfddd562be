//go:build linux || openbsd

package fileid

import "syscall"

func of(sys any) ID {
	st, ok := sys.(*syscall.Stat_t)
	if !ok {
		return ID{}
	}
	return ID{Dev: uint64(st.Dev), Ino: uint64(st.Ino), Ctime: st.Ctim.Nano()}
}
