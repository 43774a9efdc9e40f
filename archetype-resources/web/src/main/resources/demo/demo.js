// The demo page: a grid of movies; each click goes through the tracker script (clicklog.track) and its answer
// is shown on the page.
"use strict";
const movies = [
  { id: 278, title: "The Shawshank Redemption", year: 1994 },
  { id: 238, title: "The Godfather", year: 1972 },
  { id: 129, title: "Spirited Away", year: 2001 },
  { id: 496243, title: "Parasite", year: 2019 },
  { id: 670, title: "Oldboy", year: 2003 },
  { id: 603, title: "The Matrix", year: 1999 },
  { id: 11423, title: "Memories of Murder", year: 2003 },
  { id: 346, title: "Seven Samurai", year: 1954 },
  { id: 194, title: "Amelie", year: 2001 },
  { id: 76, title: "Before Sunrise", year: 1995 },
  { id: 157336, title: "Interstellar", year: 2014 },
  { id: 372058, title: "Your Name.", year: 2016 }
];

document.getElementById("session").textContent = clicklog.sessionId;

function log(text, ok) {
  const item = document.createElement("li");
  item.className = ok ? "ok" : "failed";
  item.textContent = new Date().toLocaleTimeString() + "  " + text;
  document.getElementById("log").prepend(item);
}

function show(movie, result) {
  if (result.status === "accepted") {
    log(result.httpStatus + "  " + movie.title + "  eventId " + result.eventId, true);
  } else {
    log((result.httpStatus || "") + "  " + movie.title + "  " + result.status + ": " + (result.error || ""),
      result.status === "beaconed");
  }
}

function track(movie) {
  const click = { itemId: "movie-" + movie.id, title: movie.title };
  if (document.referrer) {
    click.referrer = document.referrer;
  }
  return clicklog.track(click).then(result => show(movie, result));
}

const list = document.getElementById("movies");
for (const movie of movies) {
  const card = document.createElement("button");
  card.type = "button";
  card.className = "movie";
  card.id = "movie-" + movie.id;
  const title = document.createElement("strong");
  title.textContent = movie.title;
  const year = document.createElement("span");
  year.textContent = movie.year + "  -  movie-" + movie.id;
  card.append(title, year);
  card.addEventListener("click", () => track(movie));
  list.append(card);
}

// Three clicks queued, then sent at once: one request with an array, one answer per click.
document.getElementById("batch").addEventListener("click", () => {
  [...movies].sort(() => Math.random() - 0.5).slice(0, 3).forEach(track);
  clicklog.flush();
});
