#!/bin/sh
# Started by hand, as the seed does; idempotent so the lab can bring a daemon back.
pidof nginx >/dev/null || nginx
pidof keepalived >/dev/null || keepalived
