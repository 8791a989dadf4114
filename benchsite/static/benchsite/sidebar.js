// Below 1366 px the admin's navigation sidebar takes 300 px that a list's last columns need (at
// 1024 px the device list lost its network, GPU and last-run columns off to the right; at 1280
// px, its last run and the badge that says a run is suspect): there it starts closed until a
// person opens it. Django's nav_sidebar.js (deferred) reads this key once as the page loads;
// it is taken back once read, so that only a person's own choice (the toggle stores it) is
// remembered, and a wider window shows the sidebar as Django does.
{
  const key = "django.admin.navSidebarIsOpen";
  if (localStorage.getItem(key) === null && window.matchMedia("(max-width: 1365px)").matches) {
    localStorage.setItem(key, "false");
    document.addEventListener("DOMContentLoaded", () => {
      if (localStorage.getItem(key) === "false") localStorage.removeItem(key);
    });
  }
}
