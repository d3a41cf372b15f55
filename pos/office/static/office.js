// The back office works without this file; it only moves the keyboard to what needs reading first.
document.addEventListener("DOMContentLoaded", () => {
  const problem = document.getElementById("form-error");
  if (problem) {
    const form = document.querySelector("form[method=post] input[name=pin]");
    (form || problem).focus();
  }
});
