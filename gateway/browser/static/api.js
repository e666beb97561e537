// The console's calls to the gateway. The session is the HttpOnly cookie set at sign-in (the
// page never holds the token); every call sends X-Requested-With, which the gateway requires
// of cookie-authenticated requests that change anything (its CSRF defence).

export class ApiError extends Error {
  constructor(status, name, message) {
    super(message);
    this.status = status;
    this.name = name;
  }
  // A route another part of the gateway has not shipped yet: 404/405/501, or not our JSON at all
  get unavailable() {
    return this.name === "NotAvailable";
  }
}

export function b64(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function unb64(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

const HEADERS = { "X-Requested-With": "junction-console" };

export async function api(method, path, body) {
  const init = { method, headers: { ...HEADERS }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, "NetworkError", "The gateway cannot be reached.");
  }
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("application/json")) {
    if (response.ok && response.status === 204) return null;
    if (!response.ok) throw new ApiError(response.status, "NotAvailable", "Not available yet on this gateway.");
    return null;
  }
  const data = await response.json();
  if (!response.ok) {
    if ([404, 405, 501].includes(response.status) && !data.error) {
      throw new ApiError(response.status, "NotAvailable", "Not available yet on this gateway.");
    }
    // /api answers {"error": "Name", "message"}; /api/v1 answers {"error": {"code", "message"}}
    const err = data.error;
    const name = typeof err === "object" && err ? err.code : err;
    const message = (typeof err === "object" && err ? err.message : data.message) || `HTTP ${response.status}`;
    throw new ApiError(response.status, name || "Error", message);
  }
  return data;
}

// Follow an SSE stream with a one-time ticket; calls onEvent(data) per message until `done(data)`.
export async function follow(resource, resourceType, onEvent, done) {
  const ticket = await api("POST", "/api/auth/sse-ticket", { resource, resourceType });
  const source = new EventSource(ticket.sseUrl);
  source.onmessage = (event) => {
    const data = JSON.parse(event.data);
    onEvent(data);
    if (done(data)) source.close();
  };
  source.onerror = () => source.close();
  return source;
}

// Upload one file with XMLHttpRequest (for its upload progress); resolves with the JSON answer.
export function uploadFile(bucket, key, file, uploadId, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const url = `/api/objects/upload/${encodeURIComponent(bucket)}/${b64(key)}?uploadId=${encodeURIComponent(uploadId)}`;
    xhr.open("POST", url);
    xhr.setRequestHeader("X-Requested-With", "junction-console");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    };
    xhr.onload = () => {
      let data = {};
      try {
        data = JSON.parse(xhr.responseText);
      } catch (err) {
        data = { error: "Error", message: xhr.statusText };
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data.error, data.message || `HTTP ${xhr.status}`));
    };
    xhr.onerror = () => reject(new ApiError(0, "NetworkError", "The upload was interrupted."));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}
