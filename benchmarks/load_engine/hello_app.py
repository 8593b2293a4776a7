"""The benchmark's target: a FastAPI hello endpoint, the same app the issue measured wrk against."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
