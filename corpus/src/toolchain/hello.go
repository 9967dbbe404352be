package main

import "os"

func main() { os.Stdout.WriteString("hello from go\n") }
