// A go.mod
module k8s.io/kubernetes

go 1.15

require (
	github.com/gogo/protobuf v1.3.2
	golang.org/x/net v0.0.0-20201110031124-69a78807bb2b // indirect
	k8s.io/api v0.0.0
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	golang.org/x/net => golang.org/x/net v0.7.0
)

exclude github.com/bad/mod v1.0.0
retract [v1.0.0, v1.0.5]
