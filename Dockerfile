# hookflow: one static binary; the command (serve, api, worker, migrate) picks the role.
FROM golang:1.26 AS build
WORKDIR /src
ENV GOTOOLCHAIN=local CGO_ENABLED=0
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN go build -trimpath -ldflags "-s -w -X github.com/hookflow/hookflow/internal/version.Version=${VERSION}" \
    -o /out/hookflow ./cmd/hookflow

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hookflow /hookflow
USER nonroot
EXPOSE 8080
ENTRYPOINT ["/hookflow"]
CMD ["serve"]
