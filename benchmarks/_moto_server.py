"""S3 for the transfer benchmark: a moto server in its own process (so its CPU is not the client's).

Prints ``listening <port>`` once it accepts connections, then serves until terminated.
"""

from __future__ import annotations

import logging
import threading

from moto.server import ThreadedMotoServer

if __name__ == "__main__":
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request slows moto down
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    print(f"listening {server.get_host_and_port()[1]}", flush=True)
    threading.Event().wait()
