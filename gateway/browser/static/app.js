// The Junction console: a single-page app with hash routes (#/buckets, #/b/NAME/PREFIX, ...).
import { api } from "./api.js";
import { browserPage, bucketsPage } from "./browse.js";
import { keysPage, settingsPage } from "./account.js";
import { auditPage, usersPage } from "./admin.js";
import { notificationsPage } from "./notifications.js";
import { spacesPage, transfersPage } from "./transfers.js";
import { volumesPage } from "./volumes.js";
import { errorBox, field, h, notice } from "./ui.js";

const state = { me: null };

const NAV = [
  ["#/buckets", "Buckets"],
  ["#/transfers", "Transfers"],
  ["#/spaces", "User spaces & sync"],
  ["#/volumes", "Volumes & quotas"],
  ["#/users", "Users & paths"],
  ["#/keys", "Access keys"],
  ["#/notifications", "Notifications"],
  ["#/audit", "Audit log"],
  ["#/settings", "Settings"],
];

const PAGES = {
  buckets: bucketsPage,
  b: browserPage,
  transfers: transfersPage,
  spaces: spacesPage,
  volumes: volumesPage,
  users: usersPage,
  keys: keysPage,
  notifications: notificationsPage,
  audit: auditPage,
  settings: settingsPage,
};

function shell(active) {
  const user = state.me.user;
  const links = NAV.map(([href, label]) =>
    h("li", {}, h("a", { href, "aria-current": active === href.slice(2) ? "page" : null }, label)),
  );
  const menu = h("button", { class: "menu", "aria-expanded": "false", "aria-controls": "nav" }, "Menu");
  const nav = h("nav", { id: "nav", "aria-label": "Main" }, h("ul", {}, links));
  menu.addEventListener("click", () => {
    const open = nav.classList.toggle("open");
    menu.setAttribute("aria-expanded", String(open));
  });
  const logout = h("button", { class: "link", onclick: signOut }, "Sign out");
  return h(
    "div",
    { class: "layout" },
    h(
      "header",
      {},
      h("a", { class: "brand", href: "#/buckets" }, "Junction"),
      menu,
      h("span", { class: "who" }, `${user.username} (${user.roles.join(", ")})`),
      logout,
    ),
    nav,
    h("main", { id: "main", tabindex: "-1" }, h("div", { id: "notice", "aria-live": "polite", role: "status" }), h("div", { id: "page" })),
  );
}

async function signOut() {
  try {
    await api("POST", "/api/auth/logout");
  } finally {
    state.me = null;
    location.hash = "#/login";
  }
}

function loginPage(root) {
  const username = h("input", { name: "username", autocomplete: "username", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const status = h("div", { "aria-live": "assertive" });
  const form = h(
    "form",
    { class: "login card", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Sign in to Junction"),
    field("User name (or access key)", username),
    field("Password (or secret key)", password),
    h("button", { type: "submit" }, "Sign in"),
    status,
    h("p", { class: "hint" }, "Users sign in with their password; the gateway's administrators may use an access key and its secret."),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    try {
      await api("POST", "/api/auth/login", { username: username.value, password: password.value });
      state.me = await api("GET", "/api/auth/me");
      location.hash = "#/buckets";
    } catch (err) {
      status.replaceChildren(errorBox(err));
      password.focus();
    }
  });
  root.replaceChildren(h("main", { id: "main", class: "center" }, form));
  username.focus();
}

async function route() {
  const root = document.getElementById("root");
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  if (name === "login") return loginPage(root);
  if (!state.me) {
    try {
      state.me = await api("GET", "/api/auth/me");
    } catch (err) {
      location.hash = "#/login";
      return;
    }
  }
  const page = PAGES[name] ? name : "buckets";
  root.replaceChildren(shell(page === "b" ? "buckets" : page));
  const target = document.getElementById("page");
  notice("");
  try {
    await PAGES[page](target, rest.map(decodeURIComponent), state.me);
  } catch (err) {
    if (err.status === 401) {
      state.me = null;
      location.hash = "#/login";
      return;
    }
    target.replaceChildren(errorBox(err));
  }
  const heading = target.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

window.addEventListener("hashchange", route);
route();
