// The manager's week: a manager's bearer token from sessionStorage, data only from the API.
(() => {
  const KEY = "dispatch.token";
  const start = document.body.dataset.start;
  const message = document.getElementById("message");
  const login = document.getElementById("login");
  const week = document.getElementById("week");

  const shift = (iso, days) => {
    const d = new Date(iso + "T12:00:00Z");
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  };
  document.getElementById("prev").href = "?start=" + shift(start, -7);
  document.getElementById("next").href = "?start=" + shift(start, 7);

  async function api(method, path, body) {
    const response = await fetch(path, {method, headers: {
      "Authorization": "Bearer " + (sessionStorage.getItem(KEY) || ""),
      ...(body ? {"Content-Type": "application/json"} : {})}, body: body ? JSON.stringify(body) : undefined});
    const answer = await response.json();
    if (response.status === 401 || response.status === 403) {
      sessionStorage.removeItem(KEY);
      showLogin(answer.detail);
      throw new Error(answer.detail);
    }
    if (!response.ok) throw new Error(answer.detail || response.statusText);
    return answer;
  }

  function showLogin(why) {
    week.hidden = true;
    login.hidden = false;
    message.textContent = why || "";
  }

  function cell(day, courier) {
    const td = document.createElement("td");
    if (!day.working && !day.stops) {
      td.className = "off";
      td.textContent = day.day_off ? "off" : "–";
      return td;
    }
    if (day.stops > courier.max_stops) td.className = "over";
    td.textContent = `${day.stops} / ${courier.max_stops}`;
    const small = document.createElement("small");
    small.textContent = `${day.parcels} parcels · ${(day.weight_g / 1000).toFixed(1)} kg`;
    td.append(small);
    return td;
  }

  async function load() {
    const data = await api("GET", "/api/v1/dispatch/week?start=" + encodeURIComponent(start));
    login.hidden = true;
    week.hidden = false;
    message.textContent = "";
    document.getElementById("title").textContent = "Week of " + data.start;
    // The chart is SVG from our own API; parsed as XML and adopted, never run as HTML.
    const svg = new DOMParser().parseFromString(data.svg, "image/svg+xml").documentElement;
    document.getElementById("chart").replaceChildren(document.importNode(svg, true));
    const head = document.querySelector("#load thead tr");
    head.replaceChildren(head.firstElementChild);
    for (const day of data.days) {
      const th = document.createElement("th");
      th.textContent = new Date(day + "T12:00:00Z").toLocaleDateString(undefined, {weekday: "short", day: "2-digit", month: "2-digit"});
      head.append(th);
    }
    const body = document.querySelector("#load tbody");
    body.replaceChildren(...data.couriers.map((courier) => {
      const tr = document.createElement("tr");
      const name = document.createElement("td");
      name.textContent = courier.name;
      tr.append(name, ...courier.days.map((day) => cell(day, courier)));
      return tr;
    }));
    document.getElementById("unplanned").textContent = data.unplanned ? `${data.unplanned} deliveries not planned yet.` : "";
  }

  login.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(login);
    const response = await fetch("/api/v1/auth/login", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({login: form.get("login"), pin: form.get("pin"), terminal: form.get("terminal")})});
    const answer = await response.json();
    if (!response.ok) { message.textContent = answer.detail; return; }
    sessionStorage.setItem(KEY, answer.token);
    load().catch((e) => { message.textContent = e.message; });
  });

  document.getElementById("plan").addEventListener("click", async () => {
    const result = document.getElementById("plan-result");
    result.textContent = "Planning…";
    try {
      const plan = await api("POST", "/api/v1/dispatch/plan", {mode: "incremental"});
      result.textContent = `${plan.assigned} stops planned, ${plan.unassigned.length} not placed, ${plan.changed} changed.`;
      await load();
    } catch (e) { result.textContent = e.message; }
  });

  if (sessionStorage.getItem(KEY)) load().catch((e) => { message.textContent = e.message; });
  else showLogin();
})();
