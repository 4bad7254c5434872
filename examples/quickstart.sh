#!/usr/bin/env bash
# A complete, offline klts session on a tiny synthetic upstream.
#
#   examples/quickstart.sh [DIR]     (default: a new temporary directory)
#
# Creates DIR/upstream (a git repository with tags v1.0.0 and v1.1.0 and a later fix on
# master) and DIR/lts (an LTS workspace whose releases backport that fix), then runs
# lint, fetch, verify and checkout. Uses `klts` from PATH, or $KLTS if set.
set -euo pipefail

KLTS=${KLTS:-klts}
DIR=${1:-$(mktemp -d)}
mkdir -p "$DIR"
cd "$DIR"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="Upstream Dev" GIT_AUTHOR_EMAIL=dev@upstream.example
export GIT_COMMITTER_NAME="Upstream Dev" GIT_COMMITTER_EMAIL=dev@upstream.example
export GIT_AUTHOR_DATE="2021-01-01T00:00:00Z" GIT_COMMITTER_DATE="2021-01-01T00:00:00Z"

echo "== upstream: two releases and a security fix on master"
git init -q -b master upstream
cd upstream
mkdir -p pkg/server
handler() { # $1: the condition, $2: the return statement
  printf 'package server\n\n// Handle serves a path.\nfunc Handle(path string) string {\n\tif %s {\n\t\treturn "/"\n\t}\n\t%s\n}\n' "$1" "$2" > pkg/server/server.go
}
handler 'path == ""' 'return path'
printf 'all:\n\tgo build ./...\n' > Makefile
git add -A && git commit -qm "Initial server"
git tag v1.0.0
handler 'path == ""' 'return "/srv" + path'
git commit -qam "Release 1.1: serve from /srv" && git tag v1.1.0
git checkout -q -b fix-traversal
handler 'path == "" || path[0] != '"'"'/'"'"'' 'return "/srv" + path'
git commit -qam "server: reject path traversal (CVE-0000-1234)"
git checkout -q master
git merge -q --no-ff fix-traversal -m "Merge pull request #7 from dev/fix-traversal"
cd ..

echo "== LTS workspace: backport the fix to 1.0 and 1.1"
mkdir -p lts/patches
git -C upstream format-patch -q --stdout v1.1.0..fix-traversal > lts/patches/CVE-0000-1234.patch
git -C upstream checkout -q v1.0.0
printf 'all:\n\tGOFLAGS=-mod=vendor go build ./...\n' > upstream/Makefile
git -C upstream commit -qam "build: vendor mode" && git -C upstream format-patch -q --stdout -1 > lts/patches/build-fix.patch
git -C upstream checkout -q master
git -C upstream branch -q -D fix-traversal
cat > lts/releases.yml <<YAML
base: ../upstream

releases:
  - name: v1.1.0-lts.1
    base_release: v1.1.0
    must: true
    patches:
      - CVE-0000-1234

  - name: v1.0.0-lts.1
    base_release: v1.0.0-ci
    must: true
    patches:
      - CVE-0000-1234      # needs the 3-way fallback: the file differs on 1.0

  - name: v1.0.0-ci
    base_release: v1.0.0
    patches:
      - build-fix          # not in the catalog: patches/build-fix.patch by convention

patches:
  # CVSS 7.5, < 1.2
  - name: CVE-0000-1234
    patch:
      - patches/CVE-0000-1234.patch
YAML
cd lts
unset GIT_AUTHOR_DATE GIT_COMMITTER_DATE

echo "== klts releases";  "$KLTS" releases
echo "== klts lint";      "$KLTS" lint
echo "== klts fetch";     "$KLTS" fetch
echo "== klts verify";    "$KLTS" verify
echo "== klts verify (warm)"; "$KLTS" verify
echo "== klts checkout";  "$KLTS" checkout v1.0.0-lts.1
git --git-dir .klts/upstream.git log --oneline --format='%h %an: %s' -4 v1.0.0-lts.1
echo "== done: workspace in $DIR/lts"
echo "   next: cd $DIR/lts && klts checkout v1.0.0-lts.1 --worktree ../v1.0.0-lts.1"
