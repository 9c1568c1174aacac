"""make bench, row 6: pamjwt-linkd, the magic-link service (bench/run.py
calls rows()).

 6 requests per second of the service's pages, measured with wrk (Debian's
   wrk; 2 threads, 16 connections, from 127.0.0.1) against a static file
   served by the same library in the same process (/static/linkd.css): the
   form (GET /: a CSRF cookie, an HMAC, the page) and the link request
   (POST /request for an unknown account: the same work as for a known one,
   the mail queued aside); and the cost of minting one token in the
   service's code (lf_mint) against the signature primitive alone.
Without wrk the HTTP rows say so and are skipped.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
import re


def _port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def _wrk(url, seconds, script=None):
    cmd = ["wrk", "-t2", "-c16", "-d%ds" % seconds, "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return (float(m.group(1)) if m else 0.0), (int(non2xx.group(1))
                                              if non2xx else 0)


def rows(build, quick, row, table):
    build = os.path.abspath(build)
    linkd = os.path.join(build, "pamjwt-linkd")
    d = tempfile.mkdtemp(prefix="pamjwt-bench-linkd.")
    proc = None
    try:
        os.chmod(d, 0o700)
        subprocess.run([os.path.join(build, "pamjwt"), "keygen", "--alg",
                        "HS256", "--out", os.path.join(d, "k")], check=True,
                       capture_output=True)
        key = os.path.join(d, "k.secret")
        # 6b: minting, in process
        iters = 2000 // quick
        out = subprocess.run([os.path.join(build, "bench", "linkd_mint"), key,
                              "HS256", str(iters), "9"], capture_output=True,
                             text=True, check=True).stdout
        kv = dict(x.split("=") for x in out.split())
        row("6", "linkd: mint one HS256 token vs the signature",
            float(kv["mint_median_us"]), float(kv["sign_median_us"]))
        subprocess.run([os.path.join(build, "pamjwt"), "keygen", "--alg",
                        "ES256", "--out", os.path.join(d, "e")], check=True,
                       capture_output=True)
        out = subprocess.run([os.path.join(build, "bench", "linkd_mint"),
                              os.path.join(d, "e.key"), "ES256",
                              str(iters // 4), "9"], capture_output=True,
                             text=True, check=True).stdout
        kv = dict(x.split("=") for x in out.split())
        row("6", "linkd: mint one ES256 token vs the signature",
            float(kv["mint_median_us"]), float(kv["sign_median_us"]))
        if shutil.which("wrk") is None:
            table.append("6   linkd: HTTP rows skipped: wrk is not installed "
                         "(apt-get install wrk)")
            return
        with open(os.path.join(d, "directory"), "w") as f:
            f.write("alice alice@example.com\n")
        port = _port()
        conf = os.path.join(d, "linkd.conf")
        with open(conf, "w") as f:
            f.write("listen = 127.0.0.1:%d\nbase_url = http://127.0.0.1:%d\n"
                    "directory = %s\nhost = host.example.com\nkey_file = %s\n"
                    "smtp_url = smtp://127.0.0.1:9\nmail_from = l@example.com\n"
                    "smtp_starttls = no\nmax_connections = 64\n"
                    "max_per_client = 64\nrate_per_client = 1000000\n"
                    "rate_per_input = 100000\n" % (
                        port, port, os.path.join(d, "directory"), key))
        proc = subprocess.Popen([linkd, "--config", conf, "serve"],
                                stdout=subprocess.DEVNULL,
                                stderr=open(os.path.join(d, "log"), "w"))
        end = time.time() + 10
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        if proc.poll() is not None:
            raise RuntimeError("pamjwt-linkd did not start: " +
                               open(os.path.join(d, "log")).read()[-300:])
        base = "http://127.0.0.1:%d" % port
        secs = 2 if quick > 1 else 5
        static, _ = _wrk(base + "/static/linkd.css", secs)
        form, _ = _wrk(base + "/", secs)
        row("6", "linkd: GET / (form) vs static file, us/req",
            1e6 / form if form else 0, 1e6 / static if static else 0)
        table.append("6     (requests/s: form %.0f, static %.0f; wrk -t2 -c16)"
                     % (form, static))
        # POST /request with a valid cookie and CSRF token
        r = urllib.request.urlopen(base + "/")
        page = r.read().decode()
        cookie = r.headers["Set-Cookie"].split(";")[0]
        csrf = re.search(r'name="csrf" value="([^"]*)"', page).group(1)
        lua = os.path.join(d, "post.lua")
        with open(lua, "w") as f:
            f.write('wrk.method = "POST"\n'
                    'wrk.body = "csrf=%s&who=nosuch"\n'
                    'wrk.headers["Content-Type"] = '
                    '"application/x-www-form-urlencoded"\n'
                    'wrk.headers["Cookie"] = "%s"\n' % (csrf, cookie))
        post, bad = _wrk(base + "/request", secs, lua)
        row("6", "linkd: POST /request vs static file, us/req",
            1e6 / post if post else 0, 1e6 / static if static else 0)
        table.append("6     (requests/s: POST /request %.0f, non-2xx %d)"
                     % (post, bad))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        shutil.rmtree(d, ignore_errors=True)
