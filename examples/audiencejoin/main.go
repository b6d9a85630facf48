// Command audiencejoin imports a segment of visitor IDs, reconciles it with a
// campaign list keyed by declared IDs, joins the two in profile space and
// exports the result as a shared audience.
//
// The reconcile engine it runs on is being built; until it lands the program
// reports that and exits cleanly.
package main

import "fmt"

func main() {
	fmt.Println("audiencejoin: the reconcile engine has not landed yet; nothing to run")
}
