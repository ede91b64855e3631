#!/bin/sh
# The check the seed describes: is an nginx process there?
pidof nginx >/dev/null
