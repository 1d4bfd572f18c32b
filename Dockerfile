# One image for every component: reactions aggregate | crawl | dashboard.
# Build: docker build -t reactions .

FROM node:20-bookworm-slim AS assets
WORKDIR /src/dashboard/web
COPY dashboard/web/package.json dashboard/web/package-lock.json dashboard/web/build.sh ./
RUN bash build.sh

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=assets /src/dashboard/web/vendor/ dashboard/web/vendor/
ARG VERSION=docker
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-X main.Version=${VERSION}" -o /out/reactions ./cmd/reactions

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /data --create-home reactions
COPY --from=build /out/reactions /usr/local/bin/reactions
USER reactions
WORKDIR /data
ENV REACTIONS_HOME=/data
ENTRYPOINT ["reactions"]
CMD ["help"]
