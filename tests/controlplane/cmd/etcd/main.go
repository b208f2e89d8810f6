// Command etcd is etcd's own server entry point, built from the module version
// pinned in go.mod so that the test harness needs no downloaded binary.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
