module github.com/sluice-mail/sluice

go 1.26.8

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	github.com/emersion/go-maildir v0.6.0 // indirect
	github.com/emersion/go-message v0.18.2 // indirect
	github.com/emersion/go-sasl v0.0.0-20241020182733-b788ff22d5a6 // indirect
	github.com/emersion/go-smtp v0.26.0 // indirect
	github.com/foxcpp/go-sieve v0.0.0-20260523221512-9ae51b269e52 // indirect
	github.com/fsnotify/fsnotify v1.10.1 // indirect
	go.etcd.io/bbolt v1.5.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
	golang.org/x/text v0.44.0 // indirect
	rsc.io/binaryregexp v0.2.0 // indirect
)
