// What every seed receiver shares, kept apart from the handlers so that those read as each provider's
// documentation shows them. The receiver listens on 127.0.0.1, port 0, and prints "listening <port>".
// The test talks to it on two extra routes:
//   POST /_config   {…}: settings the handlers need that exist only once the endpoint is made (secrets)
//   GET  /_received?count=N&timeout_ms=T: what the handlers recorded, once there are N records (or at T)

export function harness(app) {
  const config = {};
  const records = [];
  const waiters = [];

  app.post("/_config", (req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => (text += chunk));
    req.on("end", () => {
      Object.assign(config, JSON.parse(text));
      res.json(config);
    });
  });

  app.get("/_received", (req, res) => {
    const count = Number.parseInt(req.query.count ?? "0", 10);
    const timeout = Number.parseInt(req.query.timeout_ms ?? "20000", 10);
    const answer = () => res.json(records);
    if (records.length >= count) return answer();
    const waiter = { count, answer };
    waiters.push(waiter);
    setTimeout(() => {
      const at = waiters.indexOf(waiter);
      if (at >= 0) {
        waiters.splice(at, 1);
        answer();
      }
    }, timeout);
  });

  function record(entry) {
    records.push(entry);
    for (const waiter of [...waiters]) {
      if (records.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.answer();
      }
    }
  }

  function listen() {
    const server = app.listen(0, "127.0.0.1", () => {
      console.log(`listening ${server.address().port}`);
    });
    return server;
  }

  return { config, record, listen };
}
