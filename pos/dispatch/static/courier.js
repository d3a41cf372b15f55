// The courier's buttons: each report goes to the API with the link's own token.
(() => {
  const token = new URLSearchParams(location.search).get("token") || "";
  const calendar = document.getElementById("calendar-link");
  const courier = document.getElementById("schedule").dataset.courier;
  calendar.href = `/couriers/${courier}/schedule.ics?token=${encodeURIComponent(token)}`;

  const LABELS = {assigned: "assigned", out_for_delivery: "out for delivery", delivered: "delivered",
                  failed: "failed", cancelled: "cancelled", open: "open"};

  async function report(card, status, reason) {
    const error = card.querySelector(".error");
    error.hidden = true;
    card.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    try {
      const response = await fetch(`/api/v1/deliveries/${card.dataset.delivery}/status`, {
        method: "POST",
        headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token},
        body: JSON.stringify(reason ? {status, reason} : {status}),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(body.detail || response.statusText);
      card.dataset.status = body.status;
      card.querySelector(".status").textContent = LABELS[body.status] || body.status;
      const why = card.querySelector(".reason");
      why.textContent = body.failure_reason || "";
      why.hidden = !body.failure_reason;
      card.querySelector(".fail-form").hidden = true;
    } catch (problem) {
      error.textContent = "Not saved: " + problem.message + " Try again.";
      error.hidden = false;
    } finally {
      card.querySelectorAll("button").forEach((b) => { b.disabled = false; });
    }
  }

  document.querySelectorAll(".stop").forEach((card) => {
    card.querySelectorAll("[data-report]").forEach((button) => {
      button.addEventListener("click", () => {
        if (button.dataset.report === "failed") {
          const form = card.querySelector(".fail-form");
          form.hidden = !form.hidden;
          return;
        }
        report(card, button.dataset.report);
      });
    });
    card.querySelector(".fail-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      const reason = (form.get("other") || "").trim() || form.get("reason");
      if (!reason) {
        const error = card.querySelector(".error");
        error.textContent = "Say why it failed.";
        error.hidden = false;
        return;
      }
      report(card, "failed", reason);
    });
  });
})();
