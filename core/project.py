"""The project's name: the prefix of every stack config key (`ha-udp-lb:nodes`) and of the component types."""

PROJECT = "ha-udp-lb"
