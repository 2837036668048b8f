// Shared by every editor page: what the save button does. `window.noteBody()` gives what the editor stores
// (plain text for the textarea, HTML for the rich-text editors); the page then shows the saved note.
async function saveNote(app, format) {
  const body = window.noteBody();
  const response = await fetch("/api/notes", {
    method: "POST", headers: {"Content-Type": "application/json"}, credentials: "same-origin",
    body: JSON.stringify({app, format, body, title: document.getElementById("title").value}),
  });
  if (!response.ok) {
    document.getElementById("status").textContent = "Kunde inte spara: " + response.status;
    return;
  }
  const saved = await response.json();
  location.href = "/notes/" + saved.id;
}
function wireSave(app, format) {
  document.getElementById("save").addEventListener("click", () => saveNote(app, format));
}
