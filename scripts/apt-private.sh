#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A private apt configuration derived from this machine's own Debian sources.
#
# The host's apt setup is never modified: we read the Debian archive URIs the
# machine is already configured with and write our own sources (adding
# bookworm-backports for meson >= 1.5 and trixie deb-src for QEMU 10.0.x) and
# list/state directories under $APT_PRIVATE.  No mirror host name is written
# into this repository; it is always taken from the machine.
#
# Usage: source this file, then call apt_private_init; afterwards use
# "apt_private <apt-get arguments>" or "apt_private_cache <apt-cache args>".

set -o pipefail

: "${APT_PRIVATE:=${BUILD_DIR:-$PWD/build}/apt}"
APT_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

die() { echo "error: $*" >&2; exit 1; }

# Print the URIs of the configured Debian archive (not -security) and the
# Debian security archive, one per line as "main URI" / "security URI".
apt_private_host_uris() {
    local f
    {
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -r "$f" ] || continue
            sed -n 's/^[[:space:]]*deb\(-src\)\?[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\)[[:space:]]\+\([^[:space:]]\+\).*/\3 \4/p' "$f"
        done
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -r "$f" ] || continue
            awk 'BEGIN { IGNORECASE = 1 }
                 /^[[:space:]]*$/ { if (u != "") for (i in s) print u, s[i]; u = ""; delete s; next }
                 /^URIs:/ { u = $2 }
                 /^Suites:/ { for (i = 2; i <= NF; i++) s[i] = $i }
                 END { if (u != "") for (i in s) print u, s[i] }' "$f"
        done
    } | while read -r uri suite; do
        case "$suite" in
        *-security|*/updates) echo "security $uri" ;;
        bookworm|bookworm-updates|stable|trixie|sid|unstable|testing) echo "main $uri" ;;
        esac
    done | sort -u
}

apt_private_init() {
    local main_uri sec_uri
    main_uri=$(apt_private_host_uris | awk '$1 == "main" { print $2; exit }')
    sec_uri=$(apt_private_host_uris | awk '$1 == "security" { print $2; exit }')
    [ -n "$main_uri" ] ||
        die "no Debian archive found in /etc/apt/sources.list{,.d}; configure Debian's apt sources or set QEMU_SRC=<dir> to a QEMU 10.0.x tree"
    [ -r "$APT_KEYRING" ] || die "$APT_KEYRING missing: apt-get install debian-archive-keyring"

    mkdir -p "$APT_PRIVATE"/lists/partial "$APT_PRIVATE"/archives/partial "$APT_PRIVATE"/etc/preferences.d
    {
        printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates bookworm-backports\nComponents: main\nSigned-By: %s\n\n' \
            "$main_uri" "$APT_KEYRING"
        printf 'Types: deb-src\nURIs: %s\nSuites: trixie trixie-updates\nComponents: main\nSigned-By: %s\n\n' \
            "$main_uri" "$APT_KEYRING"
        if [ -n "$sec_uri" ]; then
            printf 'Types: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\nSigned-By: %s\n\n' \
                "$sec_uri" "$APT_KEYRING"
            printf 'Types: deb-src\nURIs: %s\nSuites: trixie-security\nComponents: main\nSigned-By: %s\n' \
                "$sec_uri" "$APT_KEYRING"
        fi
    } > "$APT_PRIVATE/etc/private.sources.new"
    mv "$APT_PRIVATE/etc/private.sources.new" "$APT_PRIVATE/etc/private.sources"

    APT_PRIVATE_OPTS=(
        -o "Dir::Etc::SourceList=/dev/null"
        -o "Dir::Etc::SourceParts=$APT_PRIVATE/etc"
        -o "Dir::Etc::Preferences=/dev/null"
        -o "Dir::Etc::PreferencesParts=$APT_PRIVATE/etc/preferences.d"
        -o "Dir::State::Lists=$APT_PRIVATE/lists"
        -o "Dir::Cache::Archives=$APT_PRIVATE/archives"
        -o "Dir::Cache::pkgcache="
        -o "Dir::Cache::srcpkgcache="
        -o "APT::Get::List-Cleanup=0"
        -o "Acquire::Retries=3"
    )
}

# Refresh the private lists at most once per $APT_PRIVATE_MAX_AGE seconds.
apt_private_update() {
    local stamp="$APT_PRIVATE/lists/.updated" max_age=${APT_PRIVATE_MAX_AGE:-86400}
    if [ -f "$stamp" ] && [ $(( $(date +%s) - $(stat -c %Y "$stamp") )) -lt "$max_age" ] &&
       cmp -s "$APT_PRIVATE/etc/private.sources" "$APT_PRIVATE/lists/.sources"; then
        return 0
    fi
    echo ">> apt: refreshing private package lists (bookworm-backports, trixie sources)"
    apt-get "${APT_PRIVATE_OPTS[@]}" -q update > "$APT_PRIVATE/update.log" 2>&1 ||
        { tail -n 20 "$APT_PRIVATE/update.log" >&2; die "apt-get update failed on the private sources (log: $APT_PRIVATE/update.log)"; }
    cp "$APT_PRIVATE/etc/private.sources" "$APT_PRIVATE/lists/.sources"
    touch "$stamp"
}

apt_private() { apt-get "${APT_PRIVATE_OPTS[@]}" "$@"; }
apt_private_cache() { apt-cache "${APT_PRIVATE_OPTS[@]}" "$@"; }
